// Jenkins shared-library step: runs an mlgate executable and maps its exit code to a build
// result, so a failing gate can be UNSTABLE (warn-only) or FAILURE, and an error is FAILURE.
//
//   mlgate(tool: 'compare', args: ['--candidate', 'cand.csv', '--baseline', 'prod.csv', '--policy', 'policy.yaml', '-o', 'compare.json'])
//   mlgate(tool: 'report', args: ['compare.json', '--junit', 'junit.xml'], onFail: 'UNSTABLE')
def call(Map config = [:]) {
    String tool = config.tool ?: error('mlgate: tool is required')
    List args = config.args ?: []
    String onFail = config.onFail ?: 'FAILURE'      // result when the gate fails (exit 1)
    String onError = config.onError ?: 'FAILURE'    // result when it cannot decide (exit 2)
    String bin = config.bin ?: (env.MLGATE_BIN ?: '')
    String exe = bin ? "${bin}/mlgate-${tool}" : "mlgate-${tool}"
    // Arguments are passed as one quoted word each: no shell interpolation of user values.
    String quoted = ([exe] + args).collect { "'" + it.toString().replace("'", "'\"'\"'") + "'" }.join(' ')
    int code = sh(script: quoted, returnStatus: true)
    if (code == 1) {
        catchError(buildResult: onFail, stageResult: onFail) { error("mlgate-${tool}: the gate failed") }
    } else if (code >= 2) {
        catchError(buildResult: onError, stageResult: onError) { error("mlgate-${tool}: error (exit ${code}); the gate fails closed") }
    }
    return code
}
