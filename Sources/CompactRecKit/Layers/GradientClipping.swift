/// Scales the gradients of `parameters` so that their global L2 norm is at most `maxNorm`
/// (a parameter listed twice, as shared ones may be, counts once). Returns the norm before
/// clipping.
@discardableResult
public func clipGradients(_ parameters: [Parameter], maxNorm: Float) -> Float {
  precondition(maxNorm > 0, "maxNorm must be positive")
  var seen = Set<ObjectIdentifier>()
  let unique = parameters.filter { seen.insert(ObjectIdentifier($0)).inserted }
  var sum: Double = 0
  for p in unique { for g in p.grad.storage { sum += Double(g) * Double(g) } }
  let norm = Float(sum.squareRoot())
  if norm > maxNorm {
    let scale = maxNorm / norm
    for p in unique { for i in 0..<p.grad.storage.count { p.grad.storage[i] *= scale } }
  }
  return norm
}
