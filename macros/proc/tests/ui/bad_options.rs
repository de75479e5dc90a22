foil::adversarial!(A = atan(x), mode = sideways);
foil::adversarial!(B = atan(x), anchor = zero);
foil::activation!(C = atan(x), mode = split);
foil::activation!(D = 2.0f32 * x);
foil::activation!(E = [x]);
foil::activation!(F = y + 1);

fn main() {}
