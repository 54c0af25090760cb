/**
 * The links after each network control the page applies, as the simulator and the live
 * transport apply them: the page's own record of what it cut (the feed says it only in
 * words). Pure.
 */
import type { NodeId } from '../../machines/index.js';
import type { LinkChange } from './view-state.js';
import { linkKey } from './view-state.js';

export interface Links {
  readonly disconnected: ReadonlySet<NodeId>;
  readonly cut: ReadonlySet<string>;
}

export type LinkControl =
  | { readonly kind: 'disconnect' | 'reconnect' | 'restart'; readonly id: NodeId }
  | { readonly kind: 'setLink'; readonly from: NodeId; readonly to: NodeId; readonly up: boolean }
  | { readonly kind: 'partition'; readonly groups: readonly (readonly NodeId[])[] }
  | { readonly kind: 'heal' };

export function linksAfter(links: Links, control: LinkControl, ids: readonly NodeId[]): Links {
  const disconnected = new Set(links.disconnected);
  const cut = new Set(links.cut);
  switch (control.kind) {
    case 'disconnect':
      disconnected.add(control.id);
      break;
    case 'reconnect':
    case 'restart': // a restarted node comes back connected
      disconnected.delete(control.id);
      break;
    case 'setLink':
      if (control.up) cut.delete(linkKey(control.from, control.to));
      else cut.add(linkKey(control.from, control.to));
      break;
    case 'partition': {
      // Replaces every earlier cut; a node in no group is alone.
      const group = new Map<NodeId, number>();
      control.groups.forEach((members, at) => members.forEach((id) => group.set(id, at)));
      cut.clear();
      for (const from of ids) {
        for (const to of ids) {
          const apart = (group.get(from) ?? `alone ${from}`) !== (group.get(to) ?? `alone ${to}`);
          if (from !== to && apart) cut.add(linkKey(from, to));
        }
      }
      for (const id of group.keys()) disconnected.delete(id);
      break;
    }
    case 'heal':
      return { disconnected: new Set(), cut: new Set() };
  }
  return { disconnected, cut };
}

export function linkChange(at: number, links: Links): LinkChange {
  return { type: 'links', at, disconnected: [...links.disconnected], cut: [...links.cut] };
}

/** Two groups as `0 1 | 2 3 4`: the first half of the ids and the rest. */
export function defaultPartition(ids: readonly NodeId[]): string {
  const half = Math.floor(ids.length / 2);
  return `${ids.slice(0, half).join(' ')} | ${ids.slice(half).join(' ')}`;
}

/** Reads `0 1 | 2 3 4` into groups; an error names what is wrong. */
export function parsePartition(text: string, ids: readonly NodeId[]): NodeId[][] {
  const groups = text.split('|').map((part) =>
    part
      .trim()
      .split(/[\s,]+/)
      .filter(Boolean),
  );
  if (groups.length !== 2 || groups.some((group) => group.length === 0)) {
    throw new Error(`a partition is two groups of node ids split by "|", e.g. "${defaultPartition(ids)}"`);
  }
  const seen = new Set<NodeId>();
  for (const id of groups.flat()) {
    if (!ids.includes(id)) throw new Error(`no node "${id}" (nodes: ${ids.join(' ')})`);
    if (seen.has(id)) throw new Error(`node "${id}" is in both groups`);
    seen.add(id);
  }
  return groups;
}
