// Typed errors of resource operations (the SSH transport has its own in ssh/errors.ts).

import { LvsError } from "../ssh";

/** `create` found the thing already on the host and will not take it over silently. */
export class AlreadyExistsError extends LvsError {
  constructor(f: { resourceType: string; what: string; host: string; id: string }) {
    super(
      `cannot create ${f.what} on ${f.host}: it already exists there (id ${f.id}), and ${f.resourceType} never takes over ` +
        `something it did not create without being told. To manage the existing one, set \`adopt: true\` on the ` +
        `${f.resourceType} (the \`import\` resource option and \`pulumi import\` cannot import dynamic resources: the engine ` +
        `reads an imported resource without its serialised provider); to keep it unmanaged, choose another identity.`,
    );
  }
}

/** The director's kernel has no module for the requested scheduler. */
export class SchedulerUnavailableError extends LvsError {
  constructor(f: { scheduler: string; host: string; available: readonly string[] }) {
    super(
      `cannot use scheduler "${f.scheduler}" on ${f.host}: its kernel has no ip_vs_${f.scheduler} module. ` +
        `Available there: ${f.available.length > 0 ? f.available.join(" ") : "(none found)"}. ` +
        `Choose one of those, or install a kernel that provides it.`,
    );
  }
}

/** A resource's state refers to something that does not parse (state edited by hand?). */
export class StateError extends LvsError {}
