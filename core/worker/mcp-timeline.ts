import type { NumberConfig } from '../numbers/config';
import { recordedArguments } from '../tools/redact';
import { withoutSecrets } from '../tools/secret-headers';
import type { McpEvent } from './server-events';

/** A line for the call's timeline: an action's type and details. */
export interface McpAction {
  type: 'mcp-listed' | 'mcp-list-failed' | 'mcp-call';
  details: Record<string, unknown>;
}

/** The most tool names a listing puts on the timeline (the count is always there). */
const MAX_LISTED_NAMES = 50;
/** An MCP error's message is the server's text: kept to a line or two. */
const MAX_ERROR_MESSAGE = 500;
/** Arguments that are not JSON are recorded as text, up to this. */
const MAX_RAW_ARGUMENTS = 1_000;

/**
 * What the Realtime engine's MCP work puts on a call's timeline, one line per listing and per
 * call, whichever of the events that report it come and in whichever order (server-events.ts:
 * an item may come as `conversation.item.*` and as `response.output_item.*`).
 *
 * - A listing is recorded at the first of: its item done (`mcp-listed`, with the tools' names),
 *   `mcp_list_tools.completed` (`mcp-listed`, without the names: the status event has none) or
 *   `mcp_list_tools.failed` (`mcp-list-failed`).
 * - A call is recorded when its item is done: the item carries the server, tool, arguments and
 *   the output or error. Its status events only say whether it failed. The output's text is
 *   never recorded, only its size, as for an HTTP tool without `record: "full"`: it is whatever
 *   the user's server answered and may hold anything about the caller. Arguments are recorded
 *   with the server's `redact` fields hidden, and the error's message without secret values.
 *
 * No I/O: the session keeps one per attached call and records what `read` returns.
 */
export class McpTimeline {
  /** Listings and calls begun, by item id: what the status events that follow do not say. */
  private readonly started = new Map<string, { serverLabel: string }>();
  private readonly recorded = new Set<string>();
  private readonly failed = new Set<string>();

  constructor(
    private readonly config: NumberConfig | undefined,
    /** The MCP headers' secret values (McpSetup.secretValues), kept out of what is recorded. */
    private readonly secretValues: readonly string[] = [],
  ) {}

  read(event: McpEvent): McpAction | undefined {
    if (this.recorded.has(event.itemId)) return undefined;
    switch (event.type) {
      case 'mcp-started':
        if (!this.started.has(event.itemId)) this.started.set(event.itemId, { serverLabel: event.serverLabel });
        return undefined;
      case 'mcp-listed':
        return this.record(event.itemId, listed(event.itemId, event.serverLabel, event.tools));
      case 'mcp-status': {
        if (event.stage === 'call') {
          if (event.status === 'failed') this.failed.add(event.itemId);
          return undefined;
        }
        const server = this.started.get(event.itemId)?.serverLabel;
        if (event.status === 'completed') return this.record(event.itemId, listed(event.itemId, server, undefined));
        return this.record(event.itemId, { type: 'mcp-list-failed', details: { itemId: event.itemId, ...(server !== undefined && { server }) } });
      }
      case 'mcp-call': {
        const failed = event.error !== undefined || this.failed.has(event.itemId);
        this.failed.delete(event.itemId);
        return this.record(event.itemId, {
          type: 'mcp-call',
          details: {
            itemId: event.itemId,
            server: event.serverLabel,
            tool: event.name,
            arguments: this.recordedArguments(event.serverLabel, event.arguments),
            outcome: failed ? 'failed' : 'completed',
            ...(event.output !== undefined && { bytes: Buffer.byteLength(event.output) }),
            ...(event.error && {
              error: {
                type: event.error.type,
                ...(event.error.code !== undefined && { code: event.error.code }),
                message: withoutSecrets(event.error.message, this.secretValues).slice(0, MAX_ERROR_MESSAGE),
              },
            }),
          },
        });
      }
    }
  }

  private record(itemId: string, action: McpAction): McpAction {
    this.recorded.add(itemId);
    this.started.delete(itemId);
    return action;
  }

  private recordedArguments(serverLabel: string, raw: string): unknown {
    const redact = (this.config?.mcp ?? []).find((s) => s.label === serverLabel)?.redact ?? [];
    return recordedArguments(raw, redact, MAX_RAW_ARGUMENTS);
  }
}

function listed(itemId: string, server: string | undefined, tools: string[] | undefined): McpAction {
  return {
    type: 'mcp-listed',
    details: {
      itemId,
      ...(server !== undefined && { server }),
      ...(tools && { toolCount: tools.length, tools: tools.slice(0, MAX_LISTED_NAMES) }),
    },
  };
}
