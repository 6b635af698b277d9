package dev.vmsup.supervisor.config;

import java.util.regex.Pattern;

/** A container id within a sandbox: the same character rules as sandbox ids. */
public record ContainerId(String value) {
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

    public ContainerId {
        if (value == null || !VALID.matcher(value).matches()) {
            throw new ConfigException("container id", "invalid container id " + SandboxId.shown(value)
                    + ": use 1-128 characters of A-Z a-z 0-9 _ . - starting with a letter or digit");
        }
    }
}
