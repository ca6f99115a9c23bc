import Foundation

/// A small, fast, seedable random number generator (xoshiro256**), so every run that prints
/// its seed can be reproduced exactly. Not for cryptography.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
  @usableFromInline var s0, s1, s2, s3: UInt64

  /// Creates a generator whose whole stream is determined by `seed` (expanded with SplitMix64).
  public init(seed: UInt64) {
    var x = seed
    func splitMix() -> UInt64 {
      x &+= 0x9E37_79B9_7F4A_7C15
      var z = x
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    s0 = splitMix()
    s1 = splitMix()
    s2 = splitMix()
    s3 = splitMix()
  }

  /// The full internal state, for checkpoints: `init(state:)` continues the same stream.
  public var state: [UInt64] { [s0, s1, s2, s3] }

  /// A generator that continues the stream whose `state` was saved. Precondition: 4 words.
  public init(state: [UInt64]) {
    precondition(state.count == 4, "a generator state has 4 words")
    (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3])
  }

  /// The next 64 random bits.
  @inlinable public mutating func next() -> UInt64 {
    let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << 45) | (s3 >> 19)
    return result
  }

  /// A uniform integer in `0..<bound` (Lemire's multiply-shift; bias below 2^-32 for bounds
  /// under 2^32, which is all this project draws). Precondition: `bound > 0`.
  @inlinable public mutating func index(below bound: Int) -> Int {
    precondition(bound > 0, "bound must be positive")
    let r = UInt64(truncatingIfNeeded: next() >> 32)
    return Int((r &* UInt64(bound)) >> 32)
  }

  /// A uniform `Float` in [0, 1).
  @inlinable public mutating func unitFloat() -> Float {
    Float(next() >> 40) * (1.0 / 16_777_216.0)
  }

  /// A standard normal sample (Box-Muller).
  public mutating func gaussian() -> Float {
    var u = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    if u < 1e-300 { u = 1e-300 }
    let v = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    return Float((-2 * log(u)).squareRoot() * cos(2 * Double.pi * v))
  }

  /// An independent generator for stream `n` (for example one per worker), derived from this one.
  public func fork(_ n: Int) -> SeededGenerator {
    var copy = self
    return SeededGenerator(seed: copy.next() ^ (UInt64(n) &* 0xD1B5_4A32_D192_ED03))
  }
}
