package dev.vmsup.supervisor.api;

/** An API error with its HTTP status and a short machine-readable code; rendered as {"error", "message"}. */
final class ApiException extends RuntimeException {
    final int status;
    final String code;

    ApiException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    static ApiException badRequest(String message) {
        return new ApiException(400, "bad_request", message);
    }
}
