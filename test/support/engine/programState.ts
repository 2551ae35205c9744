// The state file of the program runner: what `pulumi up` keeps in a stack's checkpoint,
// reduced to what the runner needs (each resource's URN, type, id, parent, dependencies,
// inputs and outputs, in creation order).
//
// Secrets are stored the way a checkpoint stores them: `{ <sig>: <secret sig>, ciphertext }`.
// The ciphertext is AES-256-GCM under a random key kept next to the state in `<state>.key`
// (mode 0600), the analogue of the passphrase secrets provider with a generated passphrase.
// So the state itself never holds a readable private key or password, and every
// operation (deleting a resource that left the program, destroy, refresh) still has the
// old connection it needs without running the program.

import { createCipheriv, createDecipheriv, randomBytes } from "crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "fs";
import { dirname } from "path";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { isSecret, secret, type PropertyMap, type PropertyValue } from "./wire";

export interface StateResource {
  /** urn:pulumi:<stack>::<project>::<parent types $-joined>$<type>::<name>, as the engine names it. */
  urn: string;
  type: string;
  name: string;
  /** false for component resources (LvsCluster) and the stack: recorded, never sent to a provider. */
  custom: boolean;
  id?: string;
  parent?: string;
  /** URNs this resource depends on (dependsOn, and the resources its inputs came from). */
  dependencies: string[];
  inputs: PropertyMap;
  outputs: PropertyMap;
  additionalSecretOutputs: string[];
  deleteBeforeReplace?: boolean;
}

export interface ProgramState {
  version: 1;
  project: string;
  stack: string;
  /** In creation order: a resource comes after everything it depends on. */
  resources: StateResource[];
  /** The stack's outputs (the program's exports). */
  outputs: PropertyMap;
}

const CIPHER = "aes-256-gcm";

function keyFor(stateFile: string, create: boolean): Buffer | undefined {
  const keyFile = `${stateFile}.key`;
  if (existsSync(keyFile)) return Buffer.from(readFileSync(keyFile, "utf8").trim(), "base64");
  if (!create) return undefined;
  mkdirSync(dirname(keyFile), { recursive: true });
  const key = randomBytes(32);
  writeFileSync(keyFile, key.toString("base64") + "\n", { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  return key;
}

function encrypt(value: PropertyValue, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv(CIPHER, key, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(value ?? null), "utf8"), cipher.final()]);
  return `v1:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64")}`;
}

function decrypt(ciphertext: string, key: Buffer): PropertyValue {
  const raw = Buffer.from(ciphertext.replace(/^v1:/, ""), "base64");
  const decipher = createDecipheriv(CIPHER, key, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8"));
}

function isObject(value: PropertyValue): value is Record<string, PropertyValue> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function mapSecrets(value: PropertyValue, f: (v: Record<string, PropertyValue>) => PropertyValue): PropertyValue {
  if (isObject(value) && value[specialSigKey] === specialSecretSig) return f(value);
  if (Array.isArray(value)) return value.map((v) => mapSecrets(v, f));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapSecrets(v, f)]));
  return value;
}

export function emptyState(project: string, stack: string): ProgramState {
  return { version: 1, project, stack, resources: [], outputs: {} };
}

/** The state with its secrets decrypted (in memory only), or undefined when there is none. */
export function loadState(stateFile: string): ProgramState | undefined {
  if (!existsSync(stateFile)) return undefined;
  const stored = JSON.parse(readFileSync(stateFile, "utf8")) as ProgramState;
  const key = keyFor(stateFile, false);
  return mapSecrets(stored, (s) => {
    if (!("ciphertext" in s)) return s;
    if (!key) throw new Error(`${stateFile} holds secrets but its key file ${stateFile}.key is missing`);
    return secret(decrypt(String(s["ciphertext"]), key));
  }) as ProgramState;
}

/** Write the state atomically (temporary file + rename), every secret encrypted. */
export function saveState(stateFile: string, state: ProgramState): void {
  const key = keyFor(stateFile, true)!;
  const stored = mapSecrets(state, (s) => (isSecret(s) ? { [specialSigKey]: specialSecretSig, ciphertext: encrypt(s.value, key) } : s));
  mkdirSync(dirname(stateFile), { recursive: true });
  const tmp = `${stateFile}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(stored, null, 2) + "\n", { mode: 0o600 });
  renameSync(tmp, stateFile);
}

/** Remove the state and its key (after a destroy left nothing). */
export function removeState(stateFile: string): void {
  rmSync(stateFile, { force: true });
  rmSync(`${stateFile}.key`, { force: true });
}
