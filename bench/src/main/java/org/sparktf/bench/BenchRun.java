package org.sparktf.bench;

import java.util.List;

/**
 * The outcome of one benchmark pass.
 *
 * @param results one measurement per dataset, operation and contender that ran
 * @param skipped one line per contender that could not run, with the reason
 */
public record BenchRun(List<Measurement> results, List<String> skipped) {}
