export const id = 260;
export const ids = [260];
export const modules = {

/***/ 1260:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   proxyAgents: () => (/* binding */ proxyAgents)
/* harmony export */ });
/* harmony import */ var node_http__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7067);
/* harmony import */ var node_https__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(4708);
/* harmony import */ var agent_base__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(319);
/* harmony import */ var http_proxy_agent__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(8947);
/* harmony import */ var https_proxy_agent__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(1566);
/* harmony import */ var proxy_from_env__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(8182);
// Loaded only when the environment names a proxy (see requestHandler in aws.ts).






/** The SDK's own agent settings: connections kept alive, at most 50 per host. */
const AGENT_OPTIONS = { keepAlive: true, maxSockets: 50 };
/**
 * Decides per request, as curl does: HTTP_PROXY for http:// URLs, HTTPS_PROXY for https://
 * (ALL_PROXY for either), lower case first, and direct when NO_PROXY names the host. One agent
 * per proxy URL, so connections to the proxy are reused.
 */
class EnvironmentProxyAgent extends agent_base__WEBPACK_IMPORTED_MODULE_2__/* .Agent */ .g6 {
    #direct;
    #viaProxy = new Map();
    constructor(secure) {
        super(AGENT_OPTIONS);
        this.#direct = secure ? new node_https__WEBPACK_IMPORTED_MODULE_1__.Agent(AGENT_OPTIONS) : new node_http__WEBPACK_IMPORTED_MODULE_0__.Agent(AGENT_OPTIONS);
    }
    connect(req, options) {
        const scheme = options.secureEndpoint ? 'https' : 'http';
        const proxy = (0,proxy_from_env__WEBPACK_IMPORTED_MODULE_5__/* .getProxyForUrl */ .T)(`${scheme}://${req.getHeader('host')}${req.path}`);
        if (!proxy)
            return this.#direct;
        let agent = this.#viaProxy.get(proxy);
        if (!agent) {
            agent = options.secureEndpoint
                ? new https_proxy_agent__WEBPACK_IMPORTED_MODULE_4__/* .HttpsProxyAgent */ .b(proxy, AGENT_OPTIONS)
                : new http_proxy_agent__WEBPACK_IMPORTED_MODULE_3__/* .HttpProxyAgent */ .s(proxy, AGENT_OPTIONS);
            this.#viaProxy.set(proxy, agent);
        }
        return agent;
    }
}
function proxyAgents() {
    return {
        httpAgent: new EnvironmentProxyAgent(false),
        httpsAgent: new EnvironmentProxyAgent(true),
    };
}


/***/ })

};
