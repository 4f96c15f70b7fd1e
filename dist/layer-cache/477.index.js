export const id = 477;
export const ids = [477];
export const modules = {

/***/ 6477:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   ActionsBlobCache: () => (/* binding */ ActionsBlobCache)
/* harmony export */ });
/* unused harmony exports cacheKey, stagingPath */
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1455);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(6760);
/* harmony import */ var _actions_cache__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(1691);
/* harmony import */ var _lib_errors_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(1469);
/* harmony import */ var _files_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(8834);
/* harmony import */ var _limit_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(2118);






/** One immutable Actions cache entry per blob: the key is the digest, so an entry never changes. */
function cacheKey(digest) {
    return `fargate-delivery-layer-cache-${digest.replace(':', '-')}`;
}
/**
 * The path a blob is saved from and restored to. The cache's version hashes the paths, so both
 * sides must spell it the same way: it depends on the digest and RUNNER_TEMP only.
 */
function stagingPath(stagingRoot, digest) {
    return node_path__WEBPACK_IMPORTED_MODULE_1__.join(stagingRoot, digest.replace(':', '-'));
}
/** The GitHub Actions cache as the second source of blobs, after the local store. */
class ActionsBlobCache {
    options;
    constructor(options) {
        this.options = options;
    }
    static available() {
        return _actions_cache__WEBPACK_IMPORTED_MODULE_2__/* .isFeatureAvailable */ .w3();
    }
    /**
     * Restores a blob's entry and moves it into the store if it hashes to its digest. A bad entry
     * is reported `corrupt` and the caller goes on to the registry; an error talking to the cache
     * service is a miss, never a failed job.
     */
    async restore(store, digest, size) {
        const file = stagingPath(this.options.stagingRoot, digest);
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.mkdir)(node_path__WEBPACK_IMPORTED_MODULE_1__.dirname(file), { recursive: true });
        try {
            const hit = await _actions_cache__WEBPACK_IMPORTED_MODULE_2__/* .restoreCache */ .P3([file], cacheKey(digest));
            if (!hit)
                return 'miss';
        }
        catch (err) {
            this.options.log.debug(`Actions cache restore of ${digest} failed: ${(0,_lib_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .messageOf */ .bD)(err)}`);
            await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.rm)(file, { force: true });
            return 'miss';
        }
        try {
            if (await store.adopt(file, digest, size))
                return 'restored';
            this.options.log.warning(`Actions cache entry ${cacheKey(digest)} does not hash to ${digest}: ignored, fetching from the registry`);
            return 'corrupt';
        }
        catch {
            return 'corrupt';
        }
        finally {
            await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.rm)(file, { force: true });
        }
    }
    /**
     * Saves a stored blob as its own entry. The library logs and returns -1 when it cannot save,
     * including when another job already saved the same layer (entries are immutable).
     */
    async save(store, digest) {
        const file = stagingPath(this.options.stagingRoot, digest);
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.mkdir)(node_path__WEBPACK_IMPORTED_MODULE_1__.dirname(file), { recursive: true });
        try {
            await (0,_files_js__WEBPACK_IMPORTED_MODULE_4__/* .linkOrCopy */ .L)(store.pathOf(digest), file);
            return (await _actions_cache__WEBPACK_IMPORTED_MODULE_2__/* .saveCache */ .Io([file], cacheKey(digest))) !== -1;
        }
        catch (err) {
            this.options.log.warning(`Could not save ${digest} to the Actions cache: ${(0,_lib_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .messageOf */ .bD)(err)}`);
            return false;
        }
        finally {
            await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.rm)(file, { force: true });
        }
    }
    /**
     * Saves blobs, a few at a time. Each is checked first: the output layout shares the store's
     * files, and a file changed since it was fetched must not become a cache entry. Nothing here
     * fails the job; a blob not saved is fetched from the registry next time.
     */
    async saveAll(store, blobs) {
        const limit = (0,_limit_js__WEBPACK_IMPORTED_MODULE_5__/* .limiter */ .T)(4);
        let saved = 0;
        let bytes = 0;
        await Promise.all(blobs.map(({ digest, size }) => limit(async () => {
            if ((await store.check(digest, size)) !== 'ok') {
                this.options.log.warning(`${digest} changed in the local store since it was fetched: not saved to the Actions cache`);
                return;
            }
            if (await this.save(store, digest)) {
                saved++;
                bytes += size;
            }
        })));
        return { saved, bytes };
    }
}


/***/ })

};
