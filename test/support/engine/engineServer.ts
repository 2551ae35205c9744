// The engine's own gRPC endpoint, the address the engine passes to every plugin it starts
// (`pulumi-resource-pulumi-nodejs <engine-address>`). Plugins may call back to it to log.
// This one answers like the engine and records what it was told, so a test can see
// whether the provider host ever called back and what it said.

import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { EngineService, type IEngineServer } from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as enginePb from "@pulumi/pulumi/proto/engine_pb";

export interface EngineLogEntry {
  severity: string;
  message: string;
  urn: string;
}

const severityName = Object.fromEntries(Object.entries(enginePb.LogSeverity).map(([name, value]) => [value, name]));

export class EngineServer {
  /** Every Log call, in order. */
  readonly logs: EngineLogEntry[] = [];
  /** Every call by method name, in order. */
  readonly calls: string[] = [];

  private constructor(private readonly server: grpc.Server, readonly address: string) {}

  static async start(): Promise<EngineServer> {
    const server = new grpc.Server();
    const engine = await new Promise<EngineServer>((resolve, reject) => {
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
        if (err) reject(err);
        else resolve(new EngineServer(server, `127.0.0.1:${port}`));
      });
    });
    const implementation: IEngineServer = {
      log: (call, callback) => {
        engine.calls.push("Log");
        const req = call.request;
        engine.logs.push({ severity: severityName[req.getSeverity()] ?? String(req.getSeverity()), message: req.getMessage(), urn: req.getUrn() });
        callback(null, new Empty());
      },
      getRootResource: (_call, callback) => {
        engine.calls.push("GetRootResource");
        callback(null, new enginePb.GetRootResourceResponse());
      },
      setRootResource: (_call, callback) => {
        engine.calls.push("SetRootResource");
        callback(null, new enginePb.SetRootResourceResponse());
      },
      startDebugging: (_call, callback) => {
        engine.calls.push("StartDebugging");
        callback(null, new Empty());
      },
      requirePulumiVersion: (_call, callback) => {
        engine.calls.push("RequirePulumiVersion");
        callback(null, new enginePb.RequirePulumiVersionResponse());
      },
    };
    server.addService(EngineService, implementation);
    return engine;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
  }
}
