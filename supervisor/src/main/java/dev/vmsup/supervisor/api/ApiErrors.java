package dev.vmsup.supervisor.api;

import java.util.concurrent.RejectedExecutionException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.vmsup.cgroupfs.CgroupException;
import dev.vmsup.supervisor.SupervisorException;
import dev.vmsup.supervisor.config.ConfigException;
import dev.vmsup.supervisor.sandbox.ChangeRefusedException;
import dev.vmsup.supervisor.sandbox.ResizeException;
import dev.vmsup.supervisor.sandbox.WrongStateException;

/**
 * The API's error taxonomy: which failure is which status and code. A failure nobody anticipated is logged whole
 * and answered 500 without its Java class or stack (they stay in vmsup's log).
 */
final class ApiErrors {
    private static final Logger LOG = LoggerFactory.getLogger(ApiErrors.class);

    private ApiErrors() {
    }

    static ApiException translate(Throwable e) {
        if (e instanceof ApiException a) {
            return a;
        }
        if (e instanceof WrongStateException) {
            return new ApiException(409, "wrong_state", e.getMessage());
        }
        if (e instanceof ConfigException || e instanceof IllegalArgumentException) {
            return ApiException.badRequest(e.getMessage());
        }
        if (e instanceof ChangeRefusedException) {
            return new ApiException(400, "refused", e.getMessage());
        }
        if (e instanceof ResizeException r) {
            return r.refused() ? new ApiException(409, "resize_refused", r.getMessage())
                    : new ApiException(500, "resize_failed", r.getMessage());
        }
        if (e instanceof RejectedExecutionException) {
            return new ApiException(409, "wrong_state", "the sandbox is stopping");
        }
        if (e instanceof SupervisorException || e instanceof CgroupException) {
            return new ApiException(500, "internal", e.getMessage());
        }
        LOG.error("API request failed", e);
        return new ApiException(500, "internal", "unexpected failure (details in vmsup's log)");
    }
}
