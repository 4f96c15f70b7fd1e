export const id = 5;
export const ids = [5];
export const modules = {

/***/ 9005:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   loadIntoDocker: () => (/* binding */ loadIntoDocker)
/* harmony export */ });
/* harmony import */ var node_child_process__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1421);
/* harmony import */ var node_stream__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(7075);
/* harmony import */ var node_stream_promises__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(6466);
/* harmony import */ var _lib_errors_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(1469);
/* harmony import */ var _layout_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(1679);





function run(docker, args, stdin) {
    return new Promise((resolve, reject) => {
        const child = (0,node_child_process__WEBPACK_IMPORTED_MODULE_0__.spawn)(docker, args, { stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout?.setEncoding('utf8').on('data', (d) => {
            stdout += d;
        });
        child.stderr?.setEncoding('utf8').on('data', (d) => {
            stderr += d;
        });
        let streamError;
        if (stdin && child.stdin) {
            // docker may exit early (no daemon) and close stdin: its exit code says why, not EPIPE.
            (0,node_stream_promises__WEBPACK_IMPORTED_MODULE_2__.pipeline)(stdin, child.stdin).catch((err) => {
                streamError = err;
            });
        }
        child.on('error', (err) => {
            reject(err.code === 'ENOENT'
                ? new _lib_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .ActionError */ .lZ(`output: docker: '${docker}' is not installed on this runner (use output: oci)`)
                : err);
        });
        child.on('close', (code) => {
            if (code === 0 && streamError) {
                reject(new _lib_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .ActionError */ .lZ(`docker load: sending the image failed: ${(0,_lib_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .messageOf */ .bD)(streamError)}`));
            }
            else {
                resolve({ code, stdout, stderr });
            }
        });
    });
}
function lastLine(text) {
    return text.trim().split('\n').pop() ?? '';
}
/**
 * Streams the images into `docker load`, then checks that what Docker holds under each name is
 * the image we verified: its id is the config digest (or, with Docker's containerd image store,
 * the manifest digest).
 */
async function loadIntoDocker(images, store, docker = 'docker') {
    const load = await run(docker, ['load'], node_stream__WEBPACK_IMPORTED_MODULE_1__.Readable.from((0,_layout_js__WEBPACK_IMPORTED_MODULE_4__/* .layoutArchive */ .lZ)(images, store)));
    if (load.code !== 0) {
        throw new _lib_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .ActionError */ .lZ(`docker load failed (exit ${load.code}): ${lastLine(load.stderr || load.stdout)}`);
    }
    const loadedIds = new Set([...load.stdout.matchAll(/^Loaded image ID: (\S+)$/gm)].map((m) => m[1]));
    for (const image of images) {
        const accepted = [image.config.digest, image.manifest.digest];
        const tag = (0,_layout_js__WEBPACK_IMPORTED_MODULE_4__/* .repoTag */ .nw)(image.ref);
        let ids;
        if (tag) {
            const inspect = await run(docker, ['image', 'inspect', '--format', '{{.Id}}', tag]);
            if (inspect.code !== 0) {
                throw new _lib_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .ActionError */ .lZ(`${image.image}: docker image inspect ${tag} failed: ${lastLine(inspect.stderr)}`);
            }
            ids = [inspect.stdout.trim()];
        }
        else {
            ids = [...loadedIds];
        }
        if (!ids.some((id) => accepted.includes(id))) {
            throw new _lib_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .ActionError */ .lZ(`${image.image}: docker load produced image ${ids.join(', ') || '(none)'}, expected ${image.config.digest}`);
        }
    }
}


/***/ })

};
