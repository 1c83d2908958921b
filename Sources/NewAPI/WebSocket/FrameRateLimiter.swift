/// The per-connection frame budget of jwt-api.md §5.7 (D-32): a token bucket that refills at
/// `rate` frames per second up to `burst`, so short bursts pass and only a sustained excess fails.
struct FrameRateLimiter: Sendable {
    let rate: Double
    let burst: Double
    private var tokens: Double
    private var refilledAt: ContinuousClock.Instant

    init(rate: Double, burst: Double, now: ContinuousClock.Instant = .now) {
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.refilledAt = now
    }

    /// Spends one frame; false when the budget is exhausted.
    mutating func admit(now: ContinuousClock.Instant = .now) -> Bool {
        let elapsed = now - refilledAt
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tokens = min(burst, tokens + max(0, seconds) * rate)
        refilledAt = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
