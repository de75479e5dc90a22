// Two numeric piecewise-polynomial terms fitted on both sides (shifted, so
// 1/t' is not even and no weighted fit applies): more operations than one
// generated function holds (gelu_tanh's SA alone, mirrored, is emitted).
foil::adversarial!(Big = gelu_tanh(x + 0.5) + gelu_tanh(x/2 + 0.5), mode = split);

fn main() {}
