package dev.vmsup.cgroupfs;

/** A resource value (quota, period, shares, cpu list, memory, pids) outside what the kernel accepts. */
public class InvalidResourceException extends IllegalArgumentException {
    private final String field;

    public InvalidResourceException(String field, Object value, String reason) {
        super("invalid " + field + " " + InvalidCgroupPathException.quote(String.valueOf(value)) + ": " + reason);
        this.field = field;
    }

    /** The name of the rejected field, e.g. "cpu.period". */
    public String field() {
        return field;
    }
}
