// The lab's VMs run under software emulation: a command there takes a second, a reboot
// a minute. Jest's 5 s default would fail tests for being on honest hardware.
jest.setTimeout(300_000);
