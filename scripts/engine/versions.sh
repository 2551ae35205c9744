# The engine versions the project builds and tests against (sourced by the engine scripts).
PULUMI_VERSION=v3.276.0
