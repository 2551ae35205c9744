// lvs:index:VirtualService, whatever its director: `check` and `diff` here, and every
// other method to the backend that realises it: ipvsadm on a plain director
// (provider/ipvs/), include files on a KeepalivedPair (provider/keepalived/). The director
// never changes in place (a different director is a replacement), so one resource always
// talks to one backend, and neither backend knows of the other.

import type * as pulumi from "@pulumi/pulumi";
import { checkWithSchema, directorConnections } from "../resource/check";
import { directorOf } from "../ipvs/ids";
import { SERVICE_EDITABLE_PROPERTIES, SERVICE_IDENTITY_PROPERTIES, ipvsadmVirtualServiceProvider } from "../ipvs/virtualServiceProvider";
import { keepalivedVirtualServiceProvider, type KeepalivedVirtualServiceInputs } from "../keepalived/serviceProviders";
import { KEEPALIVED_SERVICE_ONLY } from "../keepalived/serviceSchema";
import { onKeepalivedPair, unchanged } from "./director";
import { VirtualServiceInputsSchema, formatCheckFailures, type RoutedVirtualServiceInputs } from "./schema";

export { VIRTUAL_SERVICE_TYPE, type VirtualServiceState } from "../ipvs/virtualServiceProvider";

/** Which properties differ, split into those that replace and those edited in place. */
export function diffVirtualService(olds: Record<string, any>, news: Record<string, any>): { replaces: string[]; updates: string[] } {
  const replaces: string[] = SERVICE_IDENTITY_PROPERTIES.filter((p) => !unchanged(olds[p], news[p]));
  const directorProperty = onKeepalivedPair(news) ? "keepalivedPair" : "connection";
  if (directorOf(olds) !== directorOf(news)) replaces.push(directorProperty);
  const updates: string[] = [...SERVICE_EDITABLE_PROPERTIES, ...KEEPALIVED_SERVICE_ONLY].filter((p) => !unchanged(olds[p], news[p]));
  if (!unchanged(olds["adopt"], news["adopt"])) updates.push("adopt");
  const sameDirector = !replaces.includes(directorProperty);
  if (sameDirector && !unchanged(olds["connection"], news["connection"])) updates.push("connection");
  if (sameDirector && !unchanged(olds["keepalived"], news["keepalived"])) updates.push("keepalivedPair");
  // A pair node that lost the file (refresh found it on the other node only) is drift.
  if (Array.isArray(olds["missingOn"]) && olds["missingOn"].length > 0) updates.push("missingOn");
  return { replaces, updates };
}

export const virtualServiceProvider = {
  async check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
    return checkWithSchema(VirtualServiceInputsSchema, news, formatCheckFailures, directorConnections);
  },

  async diff(_id: string, olds: Record<string, any>, news: Record<string, any>): Promise<pulumi.dynamic.DiffResult> {
    const { replaces, updates } = diffVirtualService(olds, news);
    return { changes: replaces.length + updates.length > 0, replaces };
  },

  async create(inputs: RoutedVirtualServiceInputs): Promise<pulumi.dynamic.CreateResult> {
    return onKeepalivedPair(inputs) ? keepalivedVirtualServiceProvider.create(inputs as KeepalivedVirtualServiceInputs) : ipvsadmVirtualServiceProvider.create(inputs);
  },

  async read(id: string, props: Record<string, any>): Promise<pulumi.dynamic.ReadResult> {
    return onKeepalivedPair(props) ? keepalivedVirtualServiceProvider.read(id, props) : ipvsadmVirtualServiceProvider.read(id, props);
  },

  async update(id: string, olds: Record<string, any>, news: RoutedVirtualServiceInputs): Promise<pulumi.dynamic.UpdateResult> {
    return onKeepalivedPair(news)
      ? keepalivedVirtualServiceProvider.update(id, olds, news as KeepalivedVirtualServiceInputs)
      : ipvsadmVirtualServiceProvider.update(id, olds, news);
  },

  async delete(id: string, props: Record<string, any>): Promise<void> {
    return onKeepalivedPair(props) ? keepalivedVirtualServiceProvider.delete(id, props) : ipvsadmVirtualServiceProvider.delete(id, props);
  },
};
