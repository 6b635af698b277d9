package dev.vmsup.cgroupfs;

/** A cgroup path (plain or systemd form) that fails validation; nothing was touched on disk. */
public class InvalidCgroupPathException extends IllegalArgumentException {
    private final String input;

    public InvalidCgroupPathException(String input, String reason) {
        super("invalid cgroup path " + quote(input) + ": " + reason);
        this.input = input;
    }

    static String quote(String input) {
        if (input == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder("'");
        for (char c : input.toCharArray()) {
            if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        String s = sb.append('\'').toString();
        return s.length() > 80 ? s.substring(0, 77) + "...'" : s;
    }

    /** The rejected input, as given. */
    public String input() {
        return input;
    }
}
