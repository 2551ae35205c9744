// Which inputs hold a secret, by property name, so that no check message ever echoes
// what such a property received (a mistyped password is still a password). Names, not
// values: the rule holds for every resource and for fields added later under these names.

/** Properties that are secret themselves or hold secrets (an SSH connection, VRRP auth, a pair's nodes). */
const SECRET_HOLDERS = new Set(["connection", "proxy", "keepalived", "keepalivedPair", "auth"]);
/** Any property whose name says it is a credential. */
const SECRET_NAME = /pass(word|phrase)?$|privateKey|secret|token|credential/i;

/** Whether a value at this property path is, or lies inside, a secret. */
export function isSecretPath(path: readonly PropertyKey[]): boolean {
  return path.some((key) => typeof key === "string" && (SECRET_HOLDERS.has(key) || SECRET_NAME.test(key)));
}
