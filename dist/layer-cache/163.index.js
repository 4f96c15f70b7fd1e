export const id = 163;
export const ids = [163];
export const modules = {

/***/ 7163:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   ecrCredentialProvider: () => (/* binding */ ecrCredentialProvider),
/* harmony export */   getEcrToken: () => (/* binding */ getEcrToken),
/* harmony export */   hasAwsCredentials: () => (/* binding */ hasAwsCredentials)
/* harmony export */ });
/* harmony import */ var _aws_sdk_client_ecr__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(8249);
/* harmony import */ var _lib_aws_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(5399);
/* harmony import */ var _lib_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(1469);
/* harmony import */ var _lib_image_ref_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(6449);




/** Whether the SDK's default chain has something to work with, without probing IMDS. */
function hasAwsCredentials(env = process.env) {
    return Boolean((env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) ||
        env.AWS_PROFILE ||
        env.AWS_WEB_IDENTITY_TOKEN_FILE ||
        env.AWS_CONTAINER_CREDENTIALS_FULL_URI ||
        env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI);
}
/** `GetAuthorizationToken`: a base64 `AWS:<password>` valid for 12 hours. */
async function getEcrToken(client, registryIds) {
    const out = await client.send(new _aws_sdk_client_ecr__WEBPACK_IMPORTED_MODULE_2__/* .GetAuthorizationTokenCommand */ .Eu6(registryIds ? { registryIds } : {}));
    const data = out.authorizationData?.[0];
    const decoded = Buffer.from(data?.authorizationToken ?? '', 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (!data || colon <= 0)
        throw new Error('ECR GetAuthorizationToken returned no usable token');
    return {
        username: decoded.slice(0, colon),
        password: decoded.slice(colon + 1),
        proxyEndpoint: data.proxyEndpoint ?? '',
    };
}
function endpointHost(endpoint) {
    try {
        return new URL(endpoint.includes('://') ? endpoint : `https://${endpoint}`).host;
    }
    catch {
        return '';
    }
}
/**
 * Credentials for a registry host from ECR. An ECR host gets a token for its own account and
 * region. Any other host gets one only when AWS credentials are configured and the token's
 * `proxyEndpoint` is that host: a registry fronted by ECR under another name is still ECR.
 */
function ecrCredentialProvider(options) {
    const env = options.env ?? process.env;
    const client = options.client ??
        ((region) => (0,_lib_aws_js__WEBPACK_IMPORTED_MODULE_0__/* .createAwsClient */ .nV)(_aws_sdk_client_ecr__WEBPACK_IMPORTED_MODULE_2__/* .ECRClient */ .S70, region ? { ...options.aws, region } : options.aws));
    return async (host) => {
        const ecr = (0,_lib_image_ref_js__WEBPACK_IMPORTED_MODULE_3__/* .ecrRegistry */ .gO)(host);
        if (ecr) {
            const token = await getEcrToken(client(ecr.region), [ecr.accountId]);
            return { username: token.username, password: token.password };
        }
        if (!hasAwsCredentials(env) ||
            !(options.aws.region || env.AWS_REGION || env.AWS_DEFAULT_REGION)) {
            return undefined;
        }
        try {
            const token = await getEcrToken(client(undefined));
            if (endpointHost(token.proxyEndpoint) !== host)
                return undefined;
            return { username: token.username, password: token.password };
        }
        catch (err) {
            options.log?.debug(`ECR token for ${host} not available: ${(0,_lib_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .messageOf */ .bD)(err)}`);
            return undefined;
        }
    };
}


/***/ })

};
