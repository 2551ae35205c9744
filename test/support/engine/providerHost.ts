// The SDK's dynamic provider host, started and greeted the way the engine does it.
//
// `pulumi up` starts the `pulumi-resource-pulumi-nodejs` plugin (a shell script the SDK
// ships: it resolves `@pulumi/pulumi/cmd/dynamic-provider` from the project directory and
// runs it with node) in the project directory, passing the engine's address. The host
// prints the port it listens on; the engine connects, calls Handshake (the host answers
// UNIMPLEMENTED, so the engine falls back), GetPluginInfo, CheckConfig and Configure, and
// takes the protocol (can it take secrets? previews?) from Configure's answer.

import * as grpc from "@grpc/grpc-js";
import { spawn, type ChildProcess } from "child_process";
import { randomUUID } from "crypto";
import { dirname, join } from "path";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { ResourceProviderClient } from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as providerPb from "@pulumi/pulumi/proto/provider_pb";
import type { PluginInfo } from "@pulumi/pulumi/proto/plugin_pb";
import { EngineServer } from "./engineServer";
import { createProgramDir, type ProgramDir } from "./programDir";

const PLUGIN = "pulumi-resource-pulumi-nodejs";
const DEFAULT_PROVIDER_TYPE = "pulumi:providers:pulumi-nodejs";
const STARTUP_TIMEOUT_MS = 120_000;

/** What the provider said it can do, in the engine's terms (pluginProtocol in the Go engine). */
export interface ProviderProtocol {
  /** Whether Handshake was implemented (the engine falls back to Configure's answer when not). */
  handshake: "implemented" | "unimplemented";
  acceptSecrets: boolean;
  acceptResources: boolean;
  acceptOutputs: boolean;
  supportsPreview: boolean;
  pluginVersion: string;
}

export class ProviderRpcError extends Error {
  constructor(
    readonly method: string,
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(`${method} failed (${grpc.status[code] ?? code}): ${details}`);
    this.name = "ProviderRpcError";
  }
}

type Callback<Res> = (err: grpc.ServiceError | null, res: Res) => void;

export class ProviderHost {
  /** Every RPC made to the host, by method name, in order (startup included). */
  readonly calls: string[] = [];
  protocol!: ProviderProtocol;
  private stdoutText = "";
  private stderrText = "";
  private exited: Promise<number | null>;

  private constructor(
    readonly program: ProgramDir,
    readonly engine: EngineServer,
    private readonly child: ChildProcess,
    private client?: ResourceProviderClient,
  ) {
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    child.stdout!.on("data", (d: Buffer) => (this.stdoutText += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (this.stderrText += d.toString()));
  }

  /** Start a fresh host in a fresh project directory, and greet it as the engine does. */
  static async start(): Promise<ProviderHost> {
    const program = createProgramDir();
    const engine = await EngineServer.start();
    const plugin = join(program.path, "node_modules", "@pulumi", "pulumi", PLUGIN);
    const env: NodeJS.ProcessEnv = { ...process.env, PULUMI_NODEJS_PROJECT: program.projectName, PULUMI_PROJECT: program.projectName };
    delete env["NODE_OPTIONS"]; // nothing of the test runner's leaks into the host
    const child = spawn("sh", [plugin, engine.address], { cwd: program.path, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const host = new ProviderHost(program, engine, child);
    try {
      const port = await host.port();
      host.client = new ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      await new Promise<void>((resolve, reject) =>
        host.client!.waitForReady(Date.now() + STARTUP_TIMEOUT_MS, (err) => (err ? reject(err) : resolve())),
      );
      await host.greet(plugin);
      return host;
    } catch (err) {
      await host.close();
      throw err;
    }
  }

  /** The first line the host prints is its port (what the engine waits for). */
  private port(): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the provider host printed no port within ${STARTUP_TIMEOUT_MS} ms; stderr:\n${this.stderrText}`)), STARTUP_TIMEOUT_MS);
      const onData = () => {
        const newline = this.stdoutText.indexOf("\n");
        if (newline < 0) return;
        clearTimeout(timer);
        this.child.stdout!.off("data", onData);
        const port = Number(this.stdoutText.slice(0, newline).trim());
        if (Number.isInteger(port) && port > 0) resolve(port);
        else reject(new Error(`the provider host's first line is not a port: ${JSON.stringify(this.stdoutText.slice(0, newline))}`));
      };
      this.child.stdout!.on("data", onData);
      this.child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the provider host exited (code ${code}) before printing its port; stderr:\n${this.stderrText}`));
      });
    });
  }

  private async greet(pluginPath: string): Promise<void> {
    let handshake: ProviderProtocol["handshake"] = "implemented";
    let fromHandshake: providerPb.ProviderHandshakeResponse | undefined;
    const hello = new providerPb.ProviderHandshakeRequest()
      .setEngineAddress(this.engine.address)
      .setRootDirectory(dirname(pluginPath))
      .setProgramDirectory(dirname(pluginPath))
      .setConfigureWithUrn(true)
      .setSupportsViews(true)
      .setSupportsRefreshBeforeUpdate(true);
    try {
      fromHandshake = await this.rpc("Handshake", (cb) => this.client!.handshake(hello, cb));
    } catch (err) {
      if (!(err instanceof ProviderRpcError) || err.code !== grpc.status.UNIMPLEMENTED) throw err;
      handshake = "unimplemented";
    }

    const info = await this.rpc<PluginInfo>("GetPluginInfo", (cb) => this.client!.getPluginInfo(new Empty(), cb));

    const providerUrn = this.urn(DEFAULT_PROVIDER_TYPE, "default");
    try {
      await this.rpc("CheckConfig", (cb) =>
        this.client!.checkConfig(
          new providerPb.CheckRequest().setUrn(providerUrn).setName("default").setType(DEFAULT_PROVIDER_TYPE).setOlds(new Struct()).setNews(new Struct()),
          cb,
        ),
      );
    } catch (err) {
      // The engine takes UNIMPLEMENTED (and, for this host, INTERNAL) as "config is fine".
      if (!(err instanceof ProviderRpcError) || ![grpc.status.UNIMPLEMENTED, grpc.status.INTERNAL].includes(err.code)) throw err;
    }

    const configure = new providerPb.ConfigureRequest()
      .setUrn(providerUrn)
      .setName("default")
      .setType(DEFAULT_PROVIDER_TYPE)
      .setId(randomUUID())
      .setAcceptsecrets(true)
      .setAcceptresources(true)
      .setSendsOldInputs(true)
      .setSendsOldInputsToDelete(true)
      .setArgs(new Struct());
    const configured = await this.rpc<providerPb.ConfigureResponse>("Configure", (cb) => this.client!.configure(configure, cb));
    // The engine takes the protocol from Handshake when the plugin has one, else from Configure.
    this.protocol = fromHandshake
      ? {
          handshake,
          acceptSecrets: fromHandshake.getAcceptSecrets(),
          acceptResources: fromHandshake.getAcceptResources(),
          acceptOutputs: fromHandshake.getAcceptOutputs(),
          supportsPreview: true,
          pluginVersion: info.getVersion(),
        }
      : {
          handshake,
          acceptSecrets: configured.getAcceptsecrets(),
          acceptResources: configured.getAcceptresources(),
          acceptOutputs: configured.getAcceptoutputs(),
          supportsPreview: configured.getSupportspreview(),
          pluginVersion: info.getVersion(),
        };
  }

  /** urn:pulumi:<stack>::<project>::<type>::<name>, as the engine names resources. */
  urn(type: string, name: string): string {
    return `urn:pulumi:engine-path::${this.program.projectName}::${type}::${name}`;
  }

  /** One unary RPC, recorded in `calls`; gRPC errors become ProviderRpcError. */
  rpc<Res>(method: string, invoke: (cb: Callback<Res>) => unknown): Promise<Res> {
    this.calls.push(method);
    return new Promise((resolve, reject) => {
      invoke((err, res) => (err ? reject(new ProviderRpcError(method, err.code, err.details || err.message)) : resolve(res)));
    });
  }

  get provider(): ResourceProviderClient {
    if (!this.client) throw new Error("the provider host is not connected");
    return this.client;
  }

  /** What the host wrote to stdout after its port, and to stderr. */
  output(): { stdout: string; stderr: string } {
    const newline = this.stdoutText.indexOf("\n");
    return { stdout: newline < 0 ? "" : this.stdoutText.slice(newline + 1), stderr: this.stderrText };
  }

  /** Disconnect, stop the host's process group, remove the project directory. */
  async close(): Promise<void> {
    this.client?.close();
    const pid = this.child.pid;
    if (pid !== undefined && this.child.exitCode === null && this.child.signalCode === null) {
      const signal = (sig: NodeJS.Signals) => {
        try {
          process.kill(-pid, sig); // the group we created with detached: the shim and its node
        } catch {
          /* already gone */
        }
      };
      signal("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const stopped = await Promise.race([this.exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 5000)))]);
      clearTimeout(timer);
      if (!stopped) signal("SIGKILL");
    }
    await this.engine.close();
    this.program.remove();
  }
}
