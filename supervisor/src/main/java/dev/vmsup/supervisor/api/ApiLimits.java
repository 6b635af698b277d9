package dev.vmsup.supervisor.api;

import java.time.Duration;

/**
 * What one API client may hold: connections at once, time a connection may stay silent, and time from a
 * connection's opening (or a request's start) until its request has fully arrived. Beyond them the connection is
 * closed, so idle or slow clients cannot exhaust memory or file descriptors.
 */
public record ApiLimits(int maxConnections, Duration idleTimeout, Duration requestTimeout) {
    /** 64 connections, 60 s idle, 10 s to send a request. */
    public static final ApiLimits DEFAULTS = new ApiLimits(64, Duration.ofSeconds(60), Duration.ofSeconds(10));
}
