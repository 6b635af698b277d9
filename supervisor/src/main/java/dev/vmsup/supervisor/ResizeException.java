package dev.vmsup.supervisor;

/**
 * A resize that stopped midway. The state stays consistent (every CPU that was added is placed and
 * counted); {@link #step()} names the step that failed.
 */
public class ResizeException extends SupervisorException {
    private final String step;

    public ResizeException(String step, Throwable cause) {
        super("resize failed at " + step, cause);
        this.step = step;
    }

    public ResizeException(String step, String reason) {
        super("resize failed at " + step + ": " + reason);
        this.step = step;
    }

    public String step() {
        return step;
    }
}
