// NVAE's ELBO and importance-weighted bound (models/nvae_evaluate.hpp has the formulas).
#include "elbo/models/nvae_evaluate.hpp"

#include <algorithm>
#include <cmath>

#include "elbo/autograd.hpp"
#include "elbo/models/noise.hpp"

namespace elbo::models {

NvaeEvaluation evaluate_nvae(Nvae& model, const std::vector<Tensor>& batches, int64_t samples, uint64_t seed) {
  ELBO_CHECK(samples > 0, "evaluate_nvae: the number of importance samples must be positive, got ", samples);
  ELBO_CHECK(!batches.empty(), "evaluate_nvae: no batches given");
  NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  NvaeEvaluation e;
  e.samples = samples;
  double sum_elbo = 0, sum_recon = 0, sum_kl = 0, sum_ll = 0;
  for (size_t b = 0; b < batches.size(); ++b) {
    const Tensor& x = batches[b];
    const int64_t n = x.size(0);
    const uint64_t stream = noise_stream(NoisePurpose::evaluation, b);
    std::vector<std::vector<double>> log_w(static_cast<size_t>(n));  // [image][sample]
    for (int64_t k = 0; k < samples; ++k) {
      NvaePass pass = model.run(x, seed, stream, static_cast<uint64_t>(k * n * model.total_latents()), true);
      std::vector<double> recon = Nvae::reconstruction_loss(pass.logits, x).to_vector();
      std::vector<double> kl(static_cast<size_t>(n), 0.0), log_ratio(static_cast<size_t>(n), 0.0);
      for (size_t i = 0; i < pass.kl.size(); ++i) {
        std::vector<double> kl_i = pass.kl[i].to_vector(), lp = pass.log_p[i].to_vector(),
                            lq = pass.log_q[i].to_vector();
        for (size_t j = 0; j < kl.size(); ++j) {
          kl[j] += kl_i[j];
          log_ratio[j] += lp[j] - lq[j];
        }
      }
      for (size_t j = 0; j < kl.size(); ++j) {
        if (k == 0) {
          sum_elbo += -recon[j] - kl[j];
          sum_recon += recon[j];
          sum_kl += kl[j];
        }
        log_w[j].push_back(-recon[j] + log_ratio[j]);
      }
    }
    for (const std::vector<double>& w : log_w) {  // logsumexp_k ln w_k − ln K
      const double top = *std::max_element(w.begin(), w.end());
      double s = 0;
      for (double v : w) s += std::exp(v - top);
      sum_ll += top + std::log(s) - std::log(static_cast<double>(samples));
    }
    e.images += n;
  }
  const double count = static_cast<double>(e.images);
  e.elbo = sum_elbo / count;
  e.reconstruction = sum_recon / count;
  e.kl = sum_kl / count;
  e.log_likelihood = sum_ll / count;
  const Tensor& x0 = batches[0];
  const double dims = static_cast<double>(x0.size(1) * x0.size(2) * x0.size(3));
  e.bits_per_dim = -e.log_likelihood / (dims * std::log(2.0));
  model.train(was_training);
  return e;
}

}  // namespace elbo::models
