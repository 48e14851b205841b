/** Container actions in Docker's event stream that change what a runner shows. */
export type ContainerAction = 'start' | 'die' | 'destroy';

/** What an operation of ours made the engine announce, withdrawn when it did not happen after all. */
export interface Expected {
  /** Stops claiming what is still expected under this handle. */
  withdraw(): void;
}

/**
 * Safety net only: an expected event the engine never delivers (the event stream was down while we
 * acted) must not hide a later outside change for ever. Well above the longest request of ours that
 * makes an event (20 s engine timeout, plus stop grace), so an event still on its way is never dropped.
 */
const EXPIRY_MS = 60_000;

interface Expectation {
  action: ContainerAction;
  owner: Expected;
  deadline: number;
}

/**
 * Tells the events our own operations cause from changes made outside VS Code. Before we start,
 * restart, stop or remove a container we record the transitions we expect of it, in order ("die"
 * then "start" for a restart, "die" then "destroy" for a removal); an event that matches consumes
 * its expectation, anything else is news. The engine announces nothing for what did not happen
 * (stopping a stopped container, removing one that never ran), so a match further down a
 * container's queue also drops the expectations before it: events of one container come in order.
 */
export class OwnEvents {
  private readonly pending = new Map<string, Expectation[]>();

  constructor(private readonly now: () => number = Date.now, private readonly expiryMs = EXPIRY_MS) {}

  /** Records that our next operation on `containerId` makes the engine announce `actions`, in this order. */
  expect(containerId: string, ...actions: ContainerAction[]): Expected {
    const owner: Expected = { withdraw: () => this.withdraw(containerId, owner) };
    const deadline = this.now() + this.expiryMs;
    const queue = this.live(containerId);
    queue.push(...actions.map((action) => ({ action, owner, deadline })));
    this.pending.set(containerId, queue);
    return owner;
  }

  /** True when we caused this event (its expectation is consumed); false when it is news from outside. */
  claim(event: { containerId: string; action: string }): boolean {
    const queue = this.live(event.containerId);
    const index = queue.findIndex((e) => e.action === event.action);
    if (index < 0) return false;
    queue.splice(0, index + 1);
    // Nothing follows a removal: whatever else was expected of this container will not come.
    if (event.action === 'destroy' || !queue.length) this.pending.delete(event.containerId);
    return true;
  }

  private withdraw(containerId: string, owner: Expected): void {
    const queue = this.live(containerId).filter((e) => e.owner !== owner);
    if (queue.length) this.pending.set(containerId, queue);
    else this.pending.delete(containerId);
  }

  /** The container's expectations that have not expired. */
  private live(containerId: string): Expectation[] {
    const now = this.now();
    const queue = (this.pending.get(containerId) ?? []).filter((e) => e.deadline > now);
    if (queue.length) this.pending.set(containerId, queue);
    else this.pending.delete(containerId);
    return queue;
  }
}
