import { execFileSync } from "child_process";
import { existsSync } from "fs";
import fc from "fast-check";
import { UnsafeArgumentError } from "../../../provider/ssh/errors";
import { quoteShellArg, renderCommandLine } from "../../../provider/ssh/quote";

// Runs a rendered command line through a real shell, exactly as sshd hands it to the
// remote user's shell, with printf as an argv dumper: every argument comes back followed
// by a NUL. The trailing `; printf END` proves the line was fully parsed (an unbalanced
// quote would swallow it or make the shell fail).
function roundTrip(shell: string, args: readonly string[]): Buffer {
  const line = `${renderCommandLine(["printf", "%s\\0", ...args])} ; printf END`;
  // stdin is /dev/null: bash treats a socket on stdin as "run by sshd" and would source ~/.bashrc.
  return execFileSync(shell, ["-c", line], {
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", LC_ALL: "C" },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function expected(args: readonly string[]): Buffer {
  return Buffer.concat([...args.map((a) => Buffer.concat([Buffer.from(a, "utf8"), Buffer.from([0])])), Buffer.from("END")]);
}

const shells = ["/bin/sh", "/bin/bash"].filter((s) => existsSync(s));

describe("quoteShellArg", () => {
  it.each([
    ["plain", "abc", "abc"],
    ["safe punctuation stays bare", "a_b@c%d+e=f:g,h./i-j", "a_b@c%d+e=f:g,h./i-j"],
    ["empty string", "", "''"],
    ["space", "a b", "'a b'"],
    ["single quote", "it's", "'it'\\''s'"],
    ["only a single quote", "'", "''\\'''"],
    ["double quote", 'say "hi"', `'say "hi"'`],
    ["command substitution", "$(id)", "'$(id)'"],
    ["backticks", "`id`", "'`id`'"],
    ["semicolon", "a;b", "'a;b'"],
    ["and-and", "a && b", "'a && b'"],
    ["pipe", "a|b", "'a|b'"],
    ["newline", "a\nb", "'a\nb'"],
    ["tab", "a\tb", "'a\tb'"],
    ["glob", "*", "'*'"],
    ["leading dash stays bare", "-rf", "-rf"],
    ["tilde", "~root", "'~root'"],
    ["backslash", "a\\b", "'a\\b'"],
    ["unicode", "ünïcødé 🙂", "'ünïcødé 🙂'"],
  ])("%s", (_name, input, quoted) => {
    expect(quoteShellArg(input)).toBe(quoted);
  });

  it("refuses NUL with a typed error naming the index but not the content", () => {
    const secret = "hunter2-secret";
    let caught: unknown;
    try {
      renderCommandLine(["echo", "ok", `${secret}\0tail`]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(UnsafeArgumentError);
    const err = caught as UnsafeArgumentError;
    expect(err.index).toBe(2);
    expect(err.message).toMatch(/argument 2/);
    expect(err.message).not.toContain(secret);
    expect(JSON.stringify(err)).not.toContain(secret);
  });

  it("refuses an empty argv", () => {
    expect(() => renderCommandLine([])).toThrow(UnsafeArgumentError);
  });
});

describe.each(shells)("renderCommandLine round trip through %s -c", (shell) => {
  const hostile = [
    "a b",
    "it's",
    'say "hi"',
    "$(touch /tmp/pwned-by-quote-test)",
    "`touch /tmp/pwned-by-quote-test`",
    "a;b",
    "a && b",
    "a|b",
    "line1\nline2",
    "col1\tcol2",
    "*",
    "-n",
    "--",
    "ünïcødé 🙂",
    "",
    "'",
    "''",
    "\\",
    "$HOME",
    "${IFS}",
    "!",
    "#comment",
    "a\rb",
    "\u0001\u007f",
  ];

  it("returns every hostile argument byte-identical", () => {
    expect(roundTrip(shell, hostile)).toEqual(expected(hostile));
    expect(existsSync("/tmp/pwned-by-quote-test")).toBe(false);
  });

  it("returns arbitrary strings (without NUL) byte-identical", () => {
    const arg = fc.string({ unit: "binary", maxLength: 40 }).filter((s) => !s.includes("\0"));
    fc.assert(
      fc.property(fc.array(arg, { minLength: 1, maxLength: 6 }), (args) => {
        expect(roundTrip(shell, args)).toEqual(expected(args));
      }),
      { numRuns: 150 },
    );
  });
});
