// 3D scenes ray cast on demand: see scenes3d.hpp for the factors and docs/DATASETS.md for a
// picture of the room. World coordinates: x to the right, y up, z towards the camera; lengths in
// units of the object's size at scale 1.
//
// The room:   floor y = 0 (normal +y); back wall z = −3.5 (normal +z); both without end.
// The object: standing on the floor at the origin, size r = scale (0.75 … 1.25), turned by φ
//             about the vertical axis through the origin:
//               cube      half-side 0.8·r, centre (0, 0.8·r, 0)
//               cylinder  upright, radius 0.8·r, height 1.6·r (the cube's width and height)
//               sphere    radius 0.9·r, centre (0, 0.9·r, 0)
//               capsule   lying along the object's x axis: radius 0.55·r, axis segment from
//                         (−0.65·r, 0.55·r, 0) to (0.65·r, 0.55·r, 0), so 2.3·r long
// The camera: eye (0, 2.6, 6.5) looking at (0, 0.7, 0), vertical field of view 40°, square
//             image; pixel (row i, column j) is the ray through the point of the image plane at
//             ((j + ½)/32 − 1, 1 − (i + ½)/32)·tan 20°.
// The light:  directional, towards l = normalise(−0.6, 0.9, 0.6) (up, left, towards the camera),
//             light = 0.35 + 0.65·max(0, n·l); 0.35 alone on the floor or wall where the ray
//             from the point towards the light meets the object (its shadow).
// Colour:     HSV(hue, 0.75, 1) → RGB, multiplied by the light.
//
// Why these numbers. The camera looks slightly down from the front, as in 3D Shapes: the seam
// of floor and wall crosses the image at row 29, the floor fills the lower half, and the object
// stands in the lower middle. Over all orientations the largest objects (scale 1.25) span
// columns 12 … 51 and rows 11 … 47 and the smallest columns 20 … 43, rows 24 … 44: never cut by
// the frame, and 1.25/0.75 ≈ 1.7 times apart in width. The tallest shadow (a cube 2 high) reaches
// z ≈ −1.4 − 2·0.6/0.9 ≈ −2.7, in front of the wall. The wall stands 3.5
// behind the object (whose farthest corner is at z ≈ −1.4) so that floor shows behind it and
// the shadow, cast backwards and to the right, falls on the floor. The light comes from the
// upper left so that the cube shows three shades (top, front, side). Ambient 0.35 keeps the
// shadowed and turned-away surfaces readable: every surface has a light of at least 0.35, so
// a hue change changes every pixel of its surface. Saturation 0.75 keeps the ten hues apart
// while the light still darkens them visibly.
#include "elbo/data/scenes3d.hpp"

#include <algorithm>
#include <cmath>

namespace elbo::data {

namespace {

constexpr double kPi = 3.14159265358979323846;

constexpr int64_t kHues = 10, kScales = 8, kShapes = 4, kOrientations = 15;

constexpr double kWallZ = -3.5;
constexpr double kEye[3] = {0.0, 2.6, 6.5};
constexpr double kTarget[3] = {0.0, 0.7, 0.0};
constexpr double kFieldOfViewDegrees = 40.0;
constexpr double kToLight[3] = {-0.6, 0.9, 0.6};  // normalised in light_direction()
constexpr double kAmbient = 0.35, kDiffuse = 0.65;
constexpr double kSaturation = 0.75, kValue = 1.0;

// Shape proportions, in units of r (see the header comment of this file).
constexpr double kCubeHalfSide = 0.8;
constexpr double kCylinderRadius = 0.8, kCylinderHeight = 1.6;
constexpr double kSphereRadius = 0.9;
constexpr double kCapsuleRadius = 0.55, kCapsuleHalfLength = 0.65;

// Ray parameters below this count as the ray's own origin (the shadow ray starts on a surface).
constexpr double kEpsilon = 1e-9;

struct Vec3 {
  double x = 0, y = 0, z = 0;
};
inline Vec3 operator+(Vec3 a, Vec3 b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
inline Vec3 operator-(Vec3 a, Vec3 b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
inline Vec3 operator*(double s, Vec3 a) { return {s * a.x, s * a.y, s * a.z}; }
inline double dot(Vec3 a, Vec3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
inline Vec3 cross(Vec3 a, Vec3 b) { return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x}; }
inline Vec3 normalise(Vec3 a) { return (1.0 / std::sqrt(dot(a, a))) * a; }
inline Vec3 vec(const double* p) { return {p[0], p[1], p[2]}; }

Vec3 light_direction() { return normalise(vec(kToLight)); }

// The object turned by φ about the vertical axis: world = R(φ)·local, with
//   R(φ) = [cos φ, 0, sin φ;  0, 1, 0;  −sin φ, 0, cos φ]
// (for φ > 0 the object's +x end moves away from the camera). `c`, `s` are cos φ, sin φ.
inline Vec3 to_world(Vec3 a, double c, double s) { return {c * a.x + s * a.z, a.y, -s * a.x + c * a.z}; }
inline Vec3 to_local(Vec3 a, double c, double s) { return {c * a.x - s * a.z, a.y, s * a.x + c * a.z}; }

// The nearest hit of a ray: distance t along the unit direction and the surface normal there.
struct Hit {
  double t = INFINITY;
  Vec3 normal;
};
inline void keep_nearest(Hit& best, double t, Vec3 normal) {
  if (t > kEpsilon && t < best.t) best = {t, normal};
}

// Sphere |p − c|² = ρ²: with q = o − c, t² + 2(q·d)t + |q|² − ρ² = 0 (|d| = 1); the nearer root.
void hit_sphere(Vec3 o, Vec3 d, Vec3 centre, double radius, Hit& best) {
  const Vec3 q = o - centre;
  const double b = dot(q, d), c = dot(q, q) - radius * radius;
  const double disc = b * b - c;
  if (disc < 0) return;
  const double t = -b - std::sqrt(disc);
  keep_nearest(best, t, (1.0 / radius) * (o + t * d - centre));
}

// Axis-aligned box [lo, hi] by slabs (Kay & Kajiya 1986): the ray is inside slab k for t between
// (lo_k − o_k)/d_k and (hi_k − o_k)/d_k; it enters the box at the largest entry t, through the
// face of that slab, and must enter before it leaves any slab.
void hit_box(Vec3 o, Vec3 d, Vec3 lo, Vec3 hi, Hit& best) {
  const double origin[3] = {o.x, o.y, o.z}, dir[3] = {d.x, d.y, d.z};
  const double low[3] = {lo.x, lo.y, lo.z}, high[3] = {hi.x, hi.y, hi.z};
  double t_enter = -INFINITY, t_leave = INFINITY;
  int face = -1;
  double face_sign = 0;
  for (int k = 0; k < 3; ++k) {
    if (dir[k] == 0.0) {
      if (origin[k] < low[k] || origin[k] > high[k]) return;
      continue;
    }
    double t0 = (low[k] - origin[k]) / dir[k], t1 = (high[k] - origin[k]) / dir[k];
    double sign = -1.0;  // entering through the low face: outward normal −e_k
    if (t0 > t1) {
      std::swap(t0, t1);
      sign = 1.0;
    }
    if (t0 > t_enter) {
      t_enter = t0;
      face = k;
      face_sign = sign;
    }
    t_leave = std::min(t_leave, t1);
  }
  if (face < 0 || t_enter > t_leave) return;
  Vec3 normal;
  (face == 0 ? normal.x : face == 1 ? normal.y : normal.z) = face_sign;
  keep_nearest(best, t_enter, normal);
}

// Upright capped cylinder x² + z² ≤ ρ², 0 ≤ y ≤ h: the side, where the quadratic in t of
// (o_x + t d_x)² + (o_z + t d_z)² = ρ² has its nearer root at a height in [0, h], and the two
// discs y = 0 and y = h.
void hit_cylinder(Vec3 o, Vec3 d, double radius, double height, Hit& best) {
  const double a = d.x * d.x + d.z * d.z;
  if (a > 0) {
    const double b = o.x * d.x + o.z * d.z, c = o.x * o.x + o.z * o.z - radius * radius;
    const double disc = b * b - a * c;
    if (disc >= 0) {
      const double t = (-b - std::sqrt(disc)) / a;
      const double y = o.y + t * d.y;
      if (y >= 0 && y <= height) keep_nearest(best, t, {(o.x + t * d.x) / radius, 0.0, (o.z + t * d.z) / radius});
    }
  }
  if (d.y != 0) {
    for (int top = 0; top < 2; ++top) {
      const double t = ((top ? height : 0.0) - o.y) / d.y;
      const double x = o.x + t * d.x, z = o.z + t * d.z;
      if (x * x + z * z <= radius * radius) keep_nearest(best, t, {0.0, top ? 1.0 : -1.0, 0.0});
    }
  }
}

// Capsule: the points within ρ of the segment from (−a, ρ, 0) to (a, ρ, 0). It is the union of a
// cylinder about that segment (side only, −a ≤ x ≤ a) and two spheres at its ends; the ray
// enters the union at the nearest of the parts' entry points.
void hit_capsule(Vec3 o, Vec3 d, double radius, double half_length, Hit& best) {
  const double qy = o.y - radius, qz = o.z;
  const double a = d.y * d.y + d.z * d.z;
  if (a > 0) {
    const double b = qy * d.y + qz * d.z, c = qy * qy + qz * qz - radius * radius;
    const double disc = b * b - a * c;
    if (disc >= 0) {
      const double t = (-b - std::sqrt(disc)) / a;
      const double x = o.x + t * d.x;
      if (x >= -half_length && x <= half_length)
        keep_nearest(best, t, {0.0, (qy + t * d.y) / radius, (qz + t * d.z) / radius});
    }
  }
  hit_sphere(o, d, {-half_length, radius, 0.0}, radius, best);
  hit_sphere(o, d, {half_length, radius, 0.0}, radius, best);
}

// The object of `shape` and size r, in its own frame.
void hit_object(int64_t shape, double r, Vec3 o, Vec3 d, Hit& best) {
  switch (shape) {
    case 0:
      hit_box(o, d, {-kCubeHalfSide * r, 0.0, -kCubeHalfSide * r},
              {kCubeHalfSide * r, 2 * kCubeHalfSide * r, kCubeHalfSide * r}, best);
      break;
    case 1: hit_cylinder(o, d, kCylinderRadius * r, kCylinderHeight * r, best); break;
    case 2: hit_sphere(o, d, {0.0, kSphereRadius * r, 0.0}, kSphereRadius * r, best); break;
    default: hit_capsule(o, d, kCapsuleRadius * r, kCapsuleHalfLength * r, best); break;
  }
}

// A sphere around the object (the same in both frames: its centre is on the turning axis), to
// skip the exact test for rays that pass far from it.
struct Bound {
  Vec3 centre;
  double radius;
};
Bound object_bound(int64_t shape, double r) {
  switch (shape) {
    case 0: return {{0, kCubeHalfSide * r, 0}, std::sqrt(3.0) * kCubeHalfSide * r};
    case 1: {
      const double half = 0.5 * kCylinderHeight * r, rho = kCylinderRadius * r;
      return {{0, half, 0}, std::sqrt(rho * rho + half * half)};
    }
    case 2: return {{0, kSphereRadius * r, 0}, kSphereRadius * r};
    default: return {{0, kCapsuleRadius * r, 0}, (kCapsuleRadius + kCapsuleHalfLength) * r};
  }
}
// Whether the ray o + t·d, t > 0, can meet the bounding sphere.
inline bool may_hit(const Bound& b, Vec3 o, Vec3 d) {
  const Vec3 q = b.centre - o;
  const double along = dot(q, d);
  const double miss2 = dot(q, q) - along * along;  // squared distance of the line from the centre
  return miss2 <= b.radius * b.radius && along + b.radius > 0;
}

// HSV → RGB (Smith 1978) with hue h ∈ [0, 1): sector i = ⌊6h⌋, f = 6h − i,
// p = V(1 − S), q = V(1 − fS), t = V(1 − (1 − f)S).
void hsv_to_rgb(double h, double s, double v, double rgb[3]) {
  const double h6 = 6.0 * h;
  const int sector = static_cast<int>(std::floor(h6)) % 6;
  const double f = h6 - std::floor(h6);
  const double p = v * (1 - s), q = v * (1 - f * s), t = v * (1 - (1 - f) * s);
  const double table[6][3] = {{v, t, p}, {q, v, p}, {p, v, t}, {p, q, v}, {t, p, v}, {v, p, q}};
  for (int c = 0; c < 3; ++c) rgb[c] = table[sector][c];
}

}  // namespace

Scenes3d::Scenes3d()
    : factor_list_{{"floor_hue", kHues}, {"wall_hue", kHues},    {"object_hue", kHues},
                   {"scale", kScales},   {"shape", kShapes},     {"orientation", kOrientations}} {
  // Camera basis: forward towards the target, right = forward × world up, up = right × forward.
  const Vec3 eye = vec(kEye);
  const Vec3 forward = normalise(vec(kTarget) - eye);
  const Vec3 right = normalise(cross(forward, {0, 1, 0}));
  const Vec3 up = cross(right, forward);
  const double half_extent = std::tan(0.5 * kFieldOfViewDegrees * kPi / 180.0);
  const Vec3 light = light_direction();
  rays_.resize(static_cast<size_t>(kSize * kSize));
  for (int64_t i = 0; i < kSize; ++i) {
    for (int64_t j = 0; j < kSize; ++j) {
      const double px = ((static_cast<double>(j) + 0.5) / (0.5 * kSize) - 1.0) * half_extent;
      const double py = (1.0 - (static_cast<double>(i) + 0.5) / (0.5 * kSize)) * half_extent;
      const Vec3 d = normalise(forward + px * right + py * up);
      // The floor (y = 0) at t = −eye_y/d_y when d_y < 0, the wall (z = kWallZ) at
      // (kWallZ − eye_z)/d_z when d_z < 0: the nearer one is seen.
      const double t_floor = d.y < 0 ? -eye.y / d.y : INFINITY;
      const double t_wall = d.z < 0 ? (kWallZ - eye.z) / d.z : INFINITY;
      ELBO_CHECK(std::isfinite(std::min(t_floor, t_wall)), "Scenes3d: camera ray of pixel (", i, ", ", j,
                 ") meets neither floor nor wall: the camera constants are wrong");
      PixelRay& ray = rays_[static_cast<size_t>(i * kSize + j)];
      const bool floor = t_floor <= t_wall;
      const Vec3 hit = eye + (floor ? t_floor : t_wall) * d;
      const Vec3 normal = floor ? Vec3{0, 1, 0} : Vec3{0, 0, 1};
      ray = {{d.x, d.y, d.z}, {hit.x, hit.y, hit.z}, floor ? Surface::floor : Surface::wall,
             kAmbient + kDiffuse * std::max(0.0, dot(normal, light))};
    }
  }
}

// The mixed-radix digits of `index`, as factors() computes them but without a vector: this runs
// once per rendered image.
SceneFactors Scenes3d::scene_factors(int64_t index) const {
  ELBO_CHECK(index >= 0 && index < size(), "scenes3d: index ", index, " is out of range [0, ", size(), ")");
  SceneFactors f;
  f.orientation = index % kOrientations;
  index /= kOrientations;
  f.shape = index % kShapes;
  index /= kShapes;
  f.scale = index % kScales;
  index /= kScales;
  f.object_hue = index % kHues;
  index /= kHues;
  f.wall_hue = index % kHues;
  f.floor_hue = index / kHues;
  return f;
}

void Scenes3d::image(int64_t index, float* out) const { render(scene_factors(index), out, nullptr); }

void Scenes3d::render(const SceneFactors& f, float* rgb, Surface* surface) const {
  ELBO_CHECK(f.floor_hue >= 0 && f.floor_hue < kHues && f.wall_hue >= 0 && f.wall_hue < kHues &&
                 f.object_hue >= 0 && f.object_hue < kHues && f.scale >= 0 && f.scale < kScales && f.shape >= 0 &&
                 f.shape < kShapes && f.orientation >= 0 && f.orientation < kOrientations,
             "Scenes3d::render: factor levels (floor_hue ", f.floor_hue, ", wall_hue ", f.wall_hue, ", object_hue ",
             f.object_hue, ", scale ", f.scale, ", shape ", f.shape, ", orientation ", f.orientation,
             ") out of range: expected hues < 10, scale < 8, shape < 4, orientation < 15");
  double colour[3][3];  // RGB of floor, wall, object, indexed by Surface
  hsv_to_rgb(factor_value(0, f.floor_hue), kSaturation, kValue, colour[0]);
  hsv_to_rgb(factor_value(1, f.wall_hue), kSaturation, kValue, colour[1]);
  hsv_to_rgb(factor_value(2, f.object_hue), kSaturation, kValue, colour[2]);
  const double r = factor_value(3, f.scale);
  const double phi = factor_value(5, f.orientation) * kPi / 180.0;
  const double c = std::cos(phi), s = std::sin(phi);
  const Bound bound = object_bound(f.shape, r);
  const Vec3 eye = vec(kEye), light = light_direction();
  const Vec3 eye_local = to_local(eye, c, s), light_local = to_local(light, c, s);

  constexpr int64_t plane = kSize * kSize;
  for (int64_t p = 0; p < plane; ++p) {
    const PixelRay& ray = rays_[static_cast<size_t>(p)];
    const Vec3 d = vec(ray.dir);
    Surface seen = ray.surface;
    double lit = ray.light;
    Hit hit;
    if (may_hit(bound, eye, d)) hit_object(f.shape, r, eye_local, to_local(d, c, s), hit);
    if (hit.t < INFINITY) {
      seen = Surface::object;
      lit = kAmbient + kDiffuse * std::max(0.0, dot(to_world(hit.normal, c, s), light));
    } else {
      // Shadow: does the ray from the floor or wall point towards the light meet the object?
      const Vec3 point = vec(ray.hit);
      Hit blocker;
      if (may_hit(bound, point, light)) hit_object(f.shape, r, to_local(point, c, s), light_local, blocker);
      if (blocker.t < INFINITY) lit = kAmbient;
    }
    const double* base = colour[static_cast<int>(seen)];
    for (int ch = 0; ch < 3; ++ch) rgb[ch * plane + p] = static_cast<float>(lit * base[ch]);
    if (surface) surface[p] = seen;
  }
}

double Scenes3d::factor_value(int64_t factor, int64_t level) {
  static constexpr int64_t sizes[] = {kHues, kHues, kHues, kScales, kShapes, kOrientations};
  ELBO_CHECK(factor >= 0 && factor < 6, "Scenes3d::factor_value: factor ", factor,
             " out of range [0, 6) (floor_hue, wall_hue, object_hue, scale, shape, orientation)");
  ELBO_CHECK(level >= 0 && level < sizes[factor], "Scenes3d::factor_value: level ", level, " of factor ", factor,
             " out of range [0, ", sizes[factor], ")");
  const double t = static_cast<double>(level);
  switch (factor) {
    case 0: case 1: case 2: return t / static_cast<double>(kHues);                   // 0, 0.1, …, 0.9
    case 3: return 0.75 + 0.5 * t / static_cast<double>(kScales - 1);               // linspace(0.75, 1.25, 8)
    case 4: return t;                                                                 // 0, 1, 2, 3
    default: return -30.0 + 60.0 * t / static_cast<double>(kOrientations - 1);      // linspace(−30, 30, 15)
  }
}

}  // namespace elbo::data
