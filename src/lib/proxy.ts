// Loaded only when the environment names a proxy (see requestHandler in aws.ts).
import * as http from 'node:http';
import * as https from 'node:https';
import { Agent, type AgentConnectOpts } from 'agent-base';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { getProxyForUrl } from 'proxy-from-env';

/** The SDK's own agent settings: connections kept alive, at most 50 per host. */
const AGENT_OPTIONS = { keepAlive: true, maxSockets: 50 };

/**
 * Decides per request, as curl does: HTTP_PROXY for http:// URLs, HTTPS_PROXY for https://
 * (ALL_PROXY for either), lower case first, and direct when NO_PROXY names the host. One agent
 * per proxy URL, so connections to the proxy are reused.
 */
class EnvironmentProxyAgent extends Agent {
  readonly #direct: http.Agent;
  readonly #viaProxy = new Map<string, http.Agent>();

  constructor(secure: boolean) {
    super(AGENT_OPTIONS);
    this.#direct = secure ? new https.Agent(AGENT_OPTIONS) : new http.Agent(AGENT_OPTIONS);
  }

  override connect(req: http.ClientRequest, options: AgentConnectOpts): http.Agent {
    const scheme = options.secureEndpoint ? 'https' : 'http';
    const proxy = getProxyForUrl(`${scheme}://${req.getHeader('host')}${req.path}`);
    if (!proxy) return this.#direct;
    let agent = this.#viaProxy.get(proxy);
    if (!agent) {
      agent = options.secureEndpoint
        ? new HttpsProxyAgent(proxy, AGENT_OPTIONS)
        : new HttpProxyAgent(proxy, AGENT_OPTIONS);
      this.#viaProxy.set(proxy, agent);
    }
    return agent;
  }
}

export function proxyAgents(): { httpAgent: http.Agent; httpsAgent: http.Agent } {
  return {
    httpAgent: new EnvironmentProxyAgent(false),
    httpsAgent: new EnvironmentProxyAgent(true),
  };
}
