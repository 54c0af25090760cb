/**
 * The course's Clerk: Get, Put and Append that retry until some server answers OK. It
 * tries its ends in order from the last one that answered (it cannot know which end is
 * which server: the tester shuffles them), and a write keeps its session (client id and
 * seq) across every retry, so the service applies it once however often it is resent.
 */
import type { KvSession } from '../../src/kv/kv-command.js';
import type { ClerkEnd, ClerkNetwork } from './clerk-network.js';
import type { KvArgs, KvReply } from './kv-server.js';

export class Clerk {
  #seq = 0;
  #leader = 0;

  constructor(
    /** Session client id: unique per clerk. */
    readonly id: string,
    /** One end per server, in the tester's shuffled order. */
    readonly ends: readonly ClerkEnd[],
    readonly network: ClerkNetwork,
  ) {}

  /** The key's value, or null if it has none (the course's clerk answers "" for that). */
  async get(key: string): Promise<string | null> {
    return this.#call({ op: 'get', key });
  }

  async put(key: string, value: string): Promise<void> {
    await this.#call({ op: 'put', key, value, session: this.#nextSession() });
  }

  /** An append to a missing key acts like a put. */
  async append(key: string, value: string): Promise<void> {
    await this.#call({ op: 'append', key, value, session: this.#nextSession() });
  }

  #nextSession(): KvSession {
    return { client: this.id, seq: ++this.#seq };
  }

  async #call(args: KvArgs): Promise<string | null> {
    for (;;) {
      const reply: KvReply | undefined = await this.network.call(this.ends[this.#leader]!, (server) =>
        server.handle(args),
      );
      if (reply?.err === 'OK') return reply.value;
      if (reply?.err === 'Failed') {
        throw new Error(
          `clerk ${this.id}: ${args.op}(${JSON.stringify(args.key)}) failed: ${reply.error.message}`,
          {
            cause: reply.error,
          },
        );
      }
      this.#leader = (this.#leader + 1) % this.ends.length;
    }
  }
}
