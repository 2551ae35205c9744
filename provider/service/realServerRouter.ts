// lvs:index:RealServer, whatever its director: `check` and `diff` here, and every other
// method to the backend that realises it: ipvsadm on a plain director (provider/ipvs/),
// include files on a KeepalivedPair (provider/keepalived/). As for the VirtualService,
// the director never changes in place, so one resource always talks to one backend.

import type * as pulumi from "@pulumi/pulumi";
import { checkWithSchema, directorConnections } from "../resource/check";
import { directorOf } from "../ipvs/ids";
import {
  DESTINATION_EDITABLE_PROPERTIES,
  DESTINATION_IDENTITY_PROPERTIES,
  DESTINATION_STATE_ONLY_PROPERTIES,
  ipvsadmRealServerProvider,
} from "../ipvs/realServerProvider";
import { keepalivedRealServerProvider, type KeepalivedRealServerInputs } from "../keepalived/serviceProviders";
import { KEEPALIVED_REAL_SERVER_ONLY } from "../keepalived/serviceSchema";
import { onKeepalivedPair, unchanged } from "./director";
import { RealServerInputsSchema, formatCheckFailures, type RoutedRealServerInputs } from "./schema";

export { REAL_SERVER_TYPE } from "../ipvs/realServerProvider";

/** Which properties differ, split into those that replace and those edited in place. */
export function diffRealServer(olds: Record<string, any>, news: Record<string, any>): { replaces: string[]; updates: string[] } {
  const replaces: string[] = DESTINATION_IDENTITY_PROPERTIES.filter((p) => !unchanged(olds[p], news[p]));
  const sameDirector = directorOf(olds) === directorOf(news);
  if (!sameDirector) replaces.push(onKeepalivedPair(news) ? "keepalivedPair" : "connection");
  const updates: string[] = [...DESTINATION_EDITABLE_PROPERTIES, ...DESTINATION_STATE_ONLY_PROPERTIES, ...KEEPALIVED_REAL_SERVER_ONLY].filter(
    (p) => !unchanged(olds[p], news[p]),
  );
  if (sameDirector && !unchanged(olds["connection"], news["connection"])) updates.push("connection");
  if (sameDirector && !unchanged(olds["keepalived"], news["keepalived"])) updates.push("keepalivedPair");
  // A pair node that lost the file (refresh found it on the other node only) is drift.
  if (Array.isArray(olds["missingOn"]) && olds["missingOn"].length > 0) updates.push("missingOn");
  return { replaces, updates };
}

export const realServerProvider = {
  async check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
    return checkWithSchema(RealServerInputsSchema, news, formatCheckFailures, directorConnections);
  },

  async diff(_id: string, olds: Record<string, any>, news: Record<string, any>): Promise<pulumi.dynamic.DiffResult> {
    const { replaces, updates } = diffRealServer(olds, news);
    return { changes: replaces.length + updates.length > 0, replaces };
  },

  async create(inputs: RoutedRealServerInputs): Promise<pulumi.dynamic.CreateResult> {
    return onKeepalivedPair(inputs) ? keepalivedRealServerProvider.create(inputs as KeepalivedRealServerInputs) : ipvsadmRealServerProvider.create(inputs);
  },

  async read(id: string, props: Record<string, any>): Promise<pulumi.dynamic.ReadResult> {
    return onKeepalivedPair(props) ? keepalivedRealServerProvider.read(id, props) : ipvsadmRealServerProvider.read(id, props);
  },

  async update(id: string, olds: Record<string, any>, news: RoutedRealServerInputs): Promise<pulumi.dynamic.UpdateResult> {
    return onKeepalivedPair(news) ? keepalivedRealServerProvider.update(id, olds, news as KeepalivedRealServerInputs) : ipvsadmRealServerProvider.update(id, olds, news);
  },

  async delete(id: string, props: Record<string, any>): Promise<void> {
    return onKeepalivedPair(props) ? keepalivedRealServerProvider.delete(id, props) : ipvsadmRealServerProvider.delete(id, props);
  },
};
