/// How a LightGCN warm start's layer-0 embeddings are mapped before training. Every choice
/// multiplies them by a map with orthonormal rows, which keeps every score of the warm-start
/// model (the propagation is linear); the choices differ in the axes the new run starts on,
/// which matters to sign codes.
public enum WarmStartRotation: String, Sendable, CaseIterable, Codable {
  /// Kept as they are; a narrower start is widened by a seeded random orthogonal projection
  /// (`Matrix.widened`), whose signs are a random-hyperplane hash of the narrow model.
  case none
  /// Mapped by the ITQ fit to the signs of the start's final embeddings
  /// (`IterativeQuantization`), so that 1-bit codes start from the float model with the least
  /// lost.
  case itq
}
