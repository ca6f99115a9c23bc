import Foundation

/// Uniform b-bit quantization of embedding rows with one step size per row (HQ-GNN).
///
/// Code u in 0 ..< 2^b stands for step * (u - z) with the zero point z = (2^b - 1) / 2, so the
/// levels are symmetric around zero (+-step/2, +-3 step/2, ...) and there is no zero level.
/// With codes in this form, dot products of two quantized rows reduce to integer dot products
/// of the codes (see `PackedCodes`).
///
/// The step comes from the row's own statistics, not from learned parameters:
/// - 1 bit: step = 2 mean|x|, i.e. sign(x) * mean|x| (BiGeaR). For Gaussian rows this is
///   also the mean-squared-error optimal 1-bit level (sigma * sqrt(2/pi) = E|x|).
/// - b >= 2: step = s_b * rms(x), where s_b is the step that minimizes the mean squared error
///   of this quantizer on a standard normal variable (Max, 1960: 0.9957 for 2 bits, 0.5860
///   for 3, 0.3352 for 4), computed numerically once. Embedding rows of trained models are
///   close to Gaussian per row, and a closed-form step keeps the quantizer free of extra
///   parameters and exactly reproducible from the float row alone.
public struct RowQuantizer: Sendable, Equatable {
  /// Bits per dimension: 1, 2, 3, 4 or 8.
  public let bits: Int

  /// The supported bit widths.
  public static let supportedBits = [1, 2, 3, 4, 8]

  /// A quantizer to `bits` bits. Precondition: `bits` is one of `supportedBits`.
  public init(bits: Int) {
    precondition(Self.supportedBits.contains(bits), "unsupported bit width \(bits)")
    self.bits = bits
  }

  /// Number of levels, 2^b.
  public var levels: Int { 1 << bits }
  /// The zero point z = (2^b - 1) / 2.
  public var zeroPoint: Float { Float(levels - 1) / 2 }

  /// The step size for a row of `d` values.
  public func step(of row: UnsafePointer<Float>, count d: Int) -> Float {
    guard d > 0 else { return 0 }
    if bits == 1 {
      var sum: Float = 0
      for c in 0..<d { sum += abs(row[c]) }
      return 2 * sum / Float(d)
    }
    var squares: Float = 0
    for c in 0..<d { squares += row[c] * row[c] }
    return Self.gaussianStep(bits: bits) * (squares / Float(d)).squareRoot()
  }

  /// Quantizes a row of `d` values: writes its codes (one per byte) and, when asked, the
  /// dequantized values step * (code - z). Returns the step. A zero row gets step 0. A row
  /// holding NaN or infinity (a diverged model) gets a non-finite step and codes of 0, so the
  /// non-finite value reaches the loss, where training reports it, instead of trapping here.
  @discardableResult
  public func quantize(
    _ row: UnsafePointer<Float>, count d: Int, codes: UnsafeMutablePointer<UInt8>?,
    dequantized: UnsafeMutablePointer<Float>?
  ) -> Float {
    let step = step(of: row, count: d)
    let z = zeroPoint
    let top = Float(levels - 1)
    let inverse = step > 0 ? 1 / step : 0
    for c in 0..<d {
      let scaled = (row[c] * inverse + z).rounded(.toNearestOrAwayFromZero)
      let u = scaled.isNaN ? 0 : min(max(scaled, 0), top)
      codes?[c] = UInt8(u)
      dequantized?[c] = step * (u - z)
    }
    return step
  }

  /// The step for a standard normal variable that minimizes the quantizer's mean squared
  /// error, for each supported bit width above 1 (golden-section search over a fine grid).
  public static func gaussianStep(bits: Int) -> Float { gaussianSteps[bits] ?? 0 }

  private static let gaussianSteps: [Int: Float] = {
    var out: [Int: Float] = [:]
    for b in supportedBits where b > 1 { out[b] = Float(optimalStep(levels: 1 << b)) }
    return out
  }()

  /// Mean squared error of the mid-rise uniform quantizer with `levels` levels and `step` on
  /// N(0, 1), by the trapezoid rule over [-10, 10].
  static func gaussianError(levels: Int, step: Double) -> Double {
    let n = 20_000
    let h = 20.0 / Double(n)
    let z = Double(levels - 1) / 2
    var total = 0.0
    for k in 0...n {
      let x = -10 + Double(k) * h
      let u = min(max((x / step + z).rounded(), 0), Double(levels - 1))
      let e = x - step * (u - z)
      let w = (k == 0 || k == n) ? 0.5 : 1
      total += w * e * e * exp(-x * x / 2)
    }
    return total * h / (2 * Double.pi).squareRoot()
  }

  private static func optimalStep(levels: Int) -> Double {
    var lo = 1e-4
    var hi = 8.0 / Double(levels) + 1
    let ratio = (5.0.squareRoot() - 1) / 2
    for _ in 0..<60 {
      let a = hi - ratio * (hi - lo)
      let b = lo + ratio * (hi - lo)
      if gaussianError(levels: levels, step: a) < gaussianError(levels: levels, step: b) { hi = b } else { lo = a }
    }
    return (lo + hi) / 2
  }
}
