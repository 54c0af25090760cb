/**
 * The controls that act on the whole cluster and on time: pause, resume, step one event,
 * speed; propose a command; align or spread the election timers; partition, heal, an
 * unreliable network, long reordering. Only what the source offers is shown.
 */
import type { NodeId } from '../../machines/index.js';
import type { ClusterControls, TimeControls } from '../../src/inspect/cluster-source.js';
import { button, h } from './dom.js';
import type { LinkControl } from './link-changes.js';
import { defaultPartition, parsePartition } from './link-changes.js';
import { SPEEDS } from './source-choice.js';

export interface ControlsOptions {
  readonly ids: readonly NodeId[];
  readonly controls: Partial<ClusterControls>;
  readonly time: TimeControls | null;
  readonly unreliable: boolean;
  /**
   * Runs a control, reports how it went; `links`: what it does to the links, recorded once
   * it succeeded.
   */
  act(label: string, work: () => Promise<unknown> | unknown, links?: LinkControl): void;
}

export class ControlsBar {
  readonly element: HTMLElement;
  readonly #time: TimeControls | null;
  readonly #pause: HTMLButtonElement | null = null;
  readonly #resume: HTMLButtonElement | null = null;
  readonly #speed: HTMLSelectElement | null = null;

  constructor(options: ControlsOptions) {
    const { controls, time, act, ids } = options;
    this.#time = time;
    const groups: HTMLElement[] = [];
    if (time !== null) {
      this.#pause = button('pause', 'Pause', 'stop time', () => act('pause', () => time.pause()));
      this.#resume = button('resume', 'Resume', 'let time run', () => act('resume', () => time.resume()));
      const step = button('step', 'Step', 'run to the next event (a timer or a delivery), then pause', () =>
        act('step one event', () => time.stepOne()),
      );
      const speed = h('select', { 'data-testid': 'speed', title: 'virtual time per real time' });
      const speeds: number[] = [...SPEEDS];
      if (!speeds.includes(time.speed)) speeds.push(time.speed);
      for (const value of speeds.sort((a, b) => a - b)) {
        speed.append(h('option', { value, selected: value === time.speed }, `${value}×`));
      }
      speed.addEventListener('change', () =>
        act(`speed ${speed.value}×`, () => time.setSpeed(Number(speed.value))),
      );
      this.#speed = speed;
      groups.push(group('Time', this.#pause, this.#resume, step, h('label', {}, 'speed ', speed)));
    }
    const cluster: HTMLElement[] = [];
    const { propose } = controls;
    if (propose !== undefined) {
      const input = h('input', {
        type: 'text',
        'data-testid': 'propose-input',
        placeholder: 'a command; live: key=value',
        value: 'x=1',
        size: 14,
      });
      const send = () => {
        const command = parseCommand(input.value);
        act(`propose ${JSON.stringify(command)}`, async () => {
          const { node, index } = await propose(command);
          return `appended at index ${index} on leader ${node}`;
        });
      };
      input.addEventListener('keydown', (event) => {
        if (event.key === 'Enter') send();
      });
      cluster.push(input, button('propose', 'Propose', 'send the command to the leader', send));
    }
    const { alignTimers, spreadTimers } = controls;
    if (alignTimers !== undefined) {
      cluster.push(
        button('align', 'Align timers', 'election timers due at the same moment: provokes a split vote', () =>
          act('align election timers', () => alignTimers()),
        ),
      );
    }
    if (spreadTimers !== undefined) {
      cluster.push(
        button('spread', 'Spread timers', 'election timers far apart: one node times out first', () =>
          act('spread election timers', () => spreadTimers()),
        ),
      );
    }
    if (cluster.length > 0) groups.push(group('Cluster', ...cluster));
    const network: HTMLElement[] = [];
    const { partition, heal, setUnreliable, setLongReordering } = controls;
    if (partition !== undefined) {
      const input = h('input', {
        type: 'text',
        'data-testid': 'partition-input',
        value: defaultPartition(ids),
        size: 10,
        title: 'two groups of node ids, split by |',
      });
      network.push(
        input,
        button('partition', 'Partition', 'split the cluster into the two groups', () => {
          let groupsOf: NodeId[][];
          try {
            groupsOf = parsePartition(input.value, ids);
          } catch (error) {
            act('partition', () => Promise.reject(error));
            return;
          }
          act(`partition ${input.value}`, () => partition(groupsOf), { kind: 'partition', groups: groupsOf });
        }),
      );
    }
    if (heal !== undefined) {
      network.push(
        button('heal', 'Heal', 'every node connected, every link up', () =>
          act('heal', () => heal(), { kind: 'heal' }),
        ),
      );
    }
    if (setUnreliable !== undefined) {
      network.push(
        toggle('unreliable', 'unreliable', options.unreliable, 'lose and delay messages', (on) =>
          act(on ? 'network unreliable' : 'network reliable', () => setUnreliable(on)),
        ),
      );
    }
    if (setLongReordering !== undefined) {
      network.push(
        toggle('reordering', 'long reordering', false, 'replies arrive up to 2 s late', (on) =>
          act(on ? 'long reordering on' : 'long reordering off', () => setLongReordering(on)),
        ),
      );
    }
    if (network.length > 0) groups.push(group('Network', ...network));
    this.element = h('div', { class: 'controls' }, ...groups);
  }

  /** Keeps pause and resume true to the source (a step pauses it, for one). */
  render(): void {
    const time = this.#time;
    if (time === null) return;
    if (this.#pause !== null) this.#pause.disabled = time.paused;
    if (this.#resume !== null) this.#resume.disabled = !time.paused;
    if (
      this.#speed !== null &&
      document.activeElement !== this.#speed &&
      Number(this.#speed.value) !== time.speed
    ) {
      this.#speed.value = String(time.speed);
    }
  }
}

/** JSON if it parses (`{"set":"x"}`, `42`), else the text itself. */
export function parseCommand(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function toggle(
  testId: string,
  label: string,
  on: boolean,
  title: string,
  onChange: (on: boolean) => void,
): HTMLElement {
  const input = h('input', { type: 'checkbox', 'data-testid': testId, checked: on });
  input.addEventListener('change', () => onChange(input.checked));
  return h('label', { class: 'toggle', title }, input, ` ${label}`);
}

function group(name: string, ...children: HTMLElement[]): HTMLElement {
  return h('fieldset', { class: 'group' }, h('legend', {}, name), ...children);
}
