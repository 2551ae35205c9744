// Resource ids name the director and the entity on it, so `read` can find the entity from the
// id alone:
//   VirtualService  127.0.0.1:2201/tcp:10.77.0.100:80
//   RealServer      127.0.0.1:2201/tcp:10.77.0.100:80->10.77.0.21:80
// A jump host is part of the director's name (`10.77.0.11:22 via 127.0.0.1:2201`): the
// same address behind two bastions is two directors.

import { StateError } from "../resource/errors";

interface HopLike {
  host?: unknown;
  port?: unknown;
  proxy?: unknown;
}

/** host:port of the director (and of its jump hosts), independent of user and credentials. */
export function directorId(connection: unknown): string {
  const hop = (connection ?? {}) as HopLike;
  const host = String(hop.host ?? "");
  const self = `${host.includes(":") ? `[${host}]` : host}:${Number(hop.port ?? 22)}`;
  return hop.proxy ? `${self} via ${directorId(hop.proxy)}` : self;
}

export function parseResourceId(id: string): { director: string; key: string } {
  const slash = id.indexOf("/");
  if (slash <= 0 || slash === id.length - 1) {
    throw new StateError(`resource id "${id}" is not of the form <director>/<entity>; import with an id like 127.0.0.1:22/tcp:10.0.0.1:80`);
  }
  return { director: id.slice(0, slash), key: id.slice(slash + 1) };
}

/** The director of a VirtualService / RealServer: a plain one, or both nodes of a KeepalivedPair. */
export function directorOf(v: { connection?: unknown; keepalived?: { nodes?: ReadonlyArray<{ connection?: unknown }> } | undefined }): string {
  if (v.keepalived) return `keepalived:${(v.keepalived.nodes ?? []).map((n) => directorId(n.connection)).join("+")}`;
  return directorId(v.connection);
}
