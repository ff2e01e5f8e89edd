import { connect } from 'nats';
import { freePort, PrivateNatsServer, waitUntil } from './nats-server';

/** One member of a NatsCluster: its server, and the name JetStream reports it by (a stream's leader, its replicas). */
export interface ClusterNode {
  name: string;
  server: PrivateNatsServer;
}

/**
 * A NATS cluster with JetStream on loopback, for a test of its own: each
 * member a nats-server with its own store directory, client port and cluster
 * port, routed to the others. A member killed (SIGKILL) and restarted keeps
 * its ports and its store, as a machine coming back would, and catches up
 * from the others.
 */
export class NatsCluster {
  private constructor(readonly nodes: ClusterNode[]) {}

  /** Starts `size` members and waits until JetStream has a meta leader (it then answers API requests). */
  static async start(size = 3): Promise<NatsCluster> {
    const clusterName = `braid-test-${Math.random().toString(36).slice(2, 8)}`;
    const ports = await Promise.all(Array.from({ length: size }, async () => ({ client: await freePort(), cluster: await freePort() })));
    const route = (clusterPort: number) => `nats://127.0.0.1:${clusterPort}`;
    const nodes = ports.map((p, i) => {
      const name = `n${i + 1}`;
      const routes = ports.filter((other) => other !== p).map((other) => route(other.cluster));
      const extraArgs = ['--server_name', name, '--cluster_name', clusterName, '--cluster', route(p.cluster), '--routes', routes.join(',')];
      return { name, server: new PrivateNatsServer({ port: p.client, extraArgs }) };
    });
    const cluster = new NatsCluster(nodes);
    try {
      await Promise.all(nodes.map((n) => n.server.start()));
      await cluster.waitForJetStream();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Every member's client URL, comma-separated, as NATS_URL takes them. */
  get urls(): string {
    return this.nodes.map((n) => n.server.url).join(',');
  }

  node(name: string): ClusterNode {
    const node = this.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no cluster member named ${name}`);
    return node;
  }

  /**
   * Waits until JetStream answers through the running members: a meta leader
   * is elected (account info needs one). Stream leaders are elected on their own.
   */
  async waitForJetStream(timeoutMs = 30_000): Promise<void> {
    const servers = this.nodes.filter((n) => n.server.running).map((n) => n.server.url);
    const nc = await connect({ servers, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    try {
      const jsm = await nc.jetstreamManager({ timeout: 2_000, checkAPI: false });
      const answers = () => jsm.getAccountInfo().then(() => true, () => false);
      await waitUntil(answers, timeoutMs, 'a JetStream meta leader in the cluster');
    } finally {
      await nc.close();
    }
  }

  /** SIGKILL one member: no goodbye to its peers or its clients. */
  async kill(name: string): Promise<void> {
    await this.node(name).server.kill();
  }

  /** Starts a killed member again on the same ports and store. */
  async restart(name: string): Promise<void> {
    await this.node(name).server.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.server.stop()));
  }
}
