import type { SessionUpdateEvent } from 'openai/resources/realtime/realtime';
import { mcpToolFor, toolsFor, type McpTool } from '../calls/session-config';
import type { NumberConfig } from '../numbers/config';
import { fillSecretHeaders, secretNames, type ReadSecret } from '../tools/secret-headers';

/**
 * The `session.update` that gives a call its number's MCP servers, sent by the worker once it
 * attaches to the sideband. OpenAI's server-side controls guide says the sideband configures the
 * session "just as you would from the client"
 * (https://developers.openai.com/api/docs/guides/realtime-server-controls), and its "Realtime
 * with tools" guide adds MCP servers for the whole session with `session.tools` in
 * `session.update` (https://developers.openai.com/api/docs/guides/realtime-mcp). The accept holds
 * no MCP server: their headers' `{{secret:NAME}}` are filled here, from the worker's tool
 * secrets, and never reach the webhook.
 *
 * The update carries the number's function tools again, then the MCP servers: whether OpenAI
 * replaces `tools` or merges it is not documented (unconfirmed), and with the whole list sent
 * both readings give the same session.
 */

/** The `event_id` of the update, so an `error` event answering it can be told apart. */
export const MCP_SETUP_EVENT_ID = 'switchboard_mcp_setup';

export interface McpSetup {
  /** The event to send; undefined when the number has no MCP server that could be set up. */
  event: SessionUpdateEvent | undefined;
  /** The servers the update adds, by label. */
  servers: string[];
  /** Servers left out, each with why (a secret without a value, or none to read): never a secret's value. */
  skipped: { server: string; detail: string }[];
  /** The secrets' values, to keep out of whatever the worker records or logs (withoutSecrets). */
  secretValues: string[];
}

/**
 * The MCP setup for a call to this number. A server whose headers need a secret that cannot be
 * read is left out (the call goes on without it, and the timeline says why): the Realtime engine
 * would otherwise call it with the reference's text where the credential should be.
 */
export async function mcpSessionUpdate(config: NumberConfig, readSecret: ReadSecret | undefined): Promise<McpSetup> {
  // Configs stored before numbers had MCP servers are read back without the field.
  const configured = config.mcp ?? [];
  const setup: McpSetup = { event: undefined, servers: [], skipped: [], secretValues: [] };
  const tools: McpTool[] = [];
  for (const server of configured) {
    const tool = mcpToolFor(server);
    if (tool.headers && secretNames(tool.headers).length > 0) {
      if (!readSecret) {
        setup.skipped.push({ server: server.label, detail: 'its headers need tool secrets, which this worker cannot read (tools are not set up)' });
        continue;
      }
      const filled = await fillSecretHeaders(tool.headers, readSecret);
      if (!filled.ok) {
        setup.skipped.push({ server: server.label, detail: filled.detail });
        continue;
      }
      tool.headers = filled.headers;
      setup.secretValues.push(...filled.secretValues);
    }
    tools.push(tool);
    setup.servers.push(server.label);
  }
  if (tools.length === 0) return setup;
  setup.event = {
    type: 'session.update',
    event_id: MCP_SETUP_EVENT_ID,
    session: { type: 'realtime', tools: [...toolsFor(config), ...tools], tool_choice: 'auto' },
  };
  return setup;
}
