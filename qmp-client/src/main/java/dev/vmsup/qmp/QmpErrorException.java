package dev.vmsup.qmp;

/** QEMU answered a command with {@code {"error": {"class": ..., "desc": ...}}}. */
public class QmpErrorException extends QmpException {
    private final String command;
    private final String errorClass;
    private final String desc;

    public QmpErrorException(String command, String errorClass, String desc) {
        super("QMP " + command + " failed: " + errorClass + ": " + desc);
        this.command = command;
        this.errorClass = errorClass;
        this.desc = desc;
    }

    public String command() {
        return command;
    }

    /** QMP's error class: GenericError, CommandNotFound, DeviceNotFound, DeviceNotActive, KVMMissingCap. */
    public String errorClass() {
        return errorClass;
    }

    public String desc() {
        return desc;
    }
}
