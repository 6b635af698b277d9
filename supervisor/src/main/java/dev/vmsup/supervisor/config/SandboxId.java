package dev.vmsup.supervisor.config;

import java.util.regex.Pattern;

/** A sandbox id: {@code [A-Za-z0-9][A-Za-z0-9_.-]{0,127}}, checked before anything touches the filesystem. */
public record SandboxId(String value) {
    /** Sandbox and container ids: 1-128 characters of A-Z a-z 0-9 _ . - starting with a letter or digit. */
    static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

    public SandboxId {
        if (value == null || !VALID.matcher(value).matches()) {
            throw new ConfigException("--id", "invalid sandbox id " + shown(value)
                    + ": use 1-128 characters of A-Z a-z 0-9 _ . - starting with a letter or digit");
        }
    }

    public static String shown(String value) {
        if (value == null) {
            return "(none)";
        }
        StringBuilder sb = new StringBuilder("'");
        value.codePoints().limit(60).forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\x%02x", c));
            } else {
                sb.appendCodePoint(c);
            }
        });
        return sb.append(value.length() > 60 ? "...'" : "'").toString();
    }

    @Override
    public String toString() {
        return value;
    }
}
