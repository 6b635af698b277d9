package dev.vmsup.supervisor.config;

/** A container id within a sandbox: the same character rules as sandbox ids. */
public record ContainerId(String value) {
    public ContainerId {
        if (value == null || !SandboxId.VALID.matcher(value).matches()) {
            throw new ConfigException("container id", "invalid container id " + SandboxId.shown(value)
                    + ": use 1-128 characters of A-Z a-z 0-9 _ . - starting with a letter or digit");
        }
    }
}
