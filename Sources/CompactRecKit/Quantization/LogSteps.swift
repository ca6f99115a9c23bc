import Foundation

/// Row steps in 8 bits on a log scale, so that a code row's step costs one byte instead of
/// four (1 bit at d = 256: 33 bytes per row instead of 36). Code 0 is a zero step (a zero
/// row); codes 1...255 cover the logs of the positive steps evenly, from the smallest to the
/// largest, so a step is kept to within half a level: (high - low) / 508 in log, about 0.5%
/// when the steps span a factor of 10.
public struct LogSteps: Sendable, Equatable {
  /// Log of the smallest and of the largest positive step (equal with one distinct step).
  public let low: Float
  public let high: Float
  /// One byte per row.
  public let codes: [UInt8]

  /// The codes of `steps` (each finite and at least 0).
  public init(encoding steps: [Float]) {
    let logs = steps.filter { $0 > 0 }.map { log($0) }
    low = logs.min() ?? 0
    high = logs.max() ?? 0
    let span = high - low
    let (low, high) = (low, high)
    codes = steps.map { step in
      guard step > 0 else { return 0 }
      guard span > 0 else { return 1 }
      let level = ((log(step) - low) / (high - low) * 254).rounded()
      return UInt8(1 + min(max(level, 0), 254))
    }
  }

  /// Steps stored as `codes` over the range `low`...`high` (read from a file).
  public init(low: Float, high: Float, codes: [UInt8]) {
    self.low = low
    self.high = high
    self.codes = codes
  }

  /// The steps the codes stand for.
  public var steps: [Float] {
    codes.map { u in u == 0 ? 0 : exp(low + Float(u - 1) / 254 * (high - low)) }
  }
}
