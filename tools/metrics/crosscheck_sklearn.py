#!/usr/bin/env python3
"""Recomputes elbo's disentanglement metrics with numpy, scipy and scikit-learn, following the
algorithms of disentanglement_lib (evaluation/metrics/*.py), on arrays that elbo exported.

Usage: crosscheck_sklearn.py DIR

DIR holds .npy files written by the test tests/metrics/test_crosscheck.cpp:
  codes_train [N, D] f8, factors_train [N, K] i8, codes_test [M, D] f8, factors_test [M, K] i8
  beta_train_x [n, D] f8, beta_train_y [n] i8, beta_eval_x, beta_eval_y     (BetaVAE points)
  fvae_global [D] f8, fvae_train_k [n] i8, fvae_train_v [n, D] f8, fvae_eval_k, fvae_eval_v
Prints one JSON object {name: value} on stdout.
"""
import json
import os
import sys
import warnings

import numpy as np
import scipy.linalg
import scipy.stats
from sklearn import ensemble, linear_model, metrics, preprocessing, svm


def discretize(columns, num_bins=20):
    """Equal-width histogram labels 1..num_bins of each row of columns [C, N]."""
    out = np.zeros_like(columns, dtype=np.int64)
    for c in range(columns.shape[0]):
        edges = np.histogram(columns[c], num_bins)[1]
        out[c] = np.digitize(columns[c], edges[:-1])
    return out


def mutual_info_matrix(a, b):
    """m[i, j] = plug-in mutual information (nats) between rows a[i] and b[j]."""
    m = np.zeros([a.shape[0], b.shape[0]])
    for i in range(a.shape[0]):
        for j in range(b.shape[0]):
            m[i, j] = metrics.mutual_info_score(b[j], a[i])
    return m


def mig(z, v):
    m = mutual_info_matrix(discretize(z), v)
    h = np.array([metrics.mutual_info_score(v[j], v[j]) for j in range(v.shape[0])])
    top = np.sort(m, axis=0)[::-1]
    return float(np.mean((top[0] - top[1]) / h))


def sap(z, v, z_test, v_test):
    s = np.zeros([z.shape[0], v.shape[0]])
    for i in range(z.shape[0]):
        for j in range(v.shape[0]):
            clf = svm.LinearSVC(C=0.01, class_weight="balanced")
            clf.fit(z[i][:, None], v[j])
            s[i, j] = np.mean(clf.predict(z_test[i][:, None]) == v_test[j])
    top = np.sort(s, axis=0)
    return float(np.mean(top[-1] - top[-2]))


def dci(z, v, z_test, v_test):
    r = np.zeros([z.shape[0], v.shape[0]])
    train, test = [], []
    for j in range(v.shape[0]):
        gbt = ensemble.GradientBoostingClassifier()
        gbt.fit(z.T, v[j])
        r[:, j] = np.abs(gbt.feature_importances_)
        train.append(np.mean(gbt.predict(z.T) == v[j]))
        test.append(np.mean(gbt.predict(z_test.T) == v_test[j]))

    def score(matrix):  # Σ_rows ρ (1 − H_base(row)), base = row length
        per = 1.0 - scipy.stats.entropy(matrix.T + 1e-11, base=matrix.shape[1])
        weights = matrix.sum(axis=1) / matrix.sum() if matrix.sum() > 0 else np.ones(matrix.shape[0]) / matrix.shape[0]
        return float(np.sum(per * weights))

    return {"dci.disentanglement": score(r), "dci.completeness": score(r.T),
            "dci.informativeness_train": float(np.mean(train)), "dci.informativeness_test": float(np.mean(test))}


def modularity(z, v):
    squared = mutual_info_matrix(discretize(z), v) ** 2
    largest = squared.max(axis=1)
    score = 1.0 - (squared.sum(axis=1) - largest) / (largest * (squared.shape[1] - 1.0))
    score[largest == 0.0] = 0.0
    return float(np.mean(score))


def explicitness(z, v, z_test, v_test):
    mean, sd = z.mean(axis=1), z.std(axis=1)
    x, x_test = ((z - mean[:, None]) / sd[:, None]).T, ((z_test - mean[:, None]) / sd[:, None]).T
    train, test = [], []
    for j in range(v.shape[0]):
        clf = linear_model.LogisticRegression().fit(x, v[j])
        binarizer = preprocessing.MultiLabelBinarizer()
        train.append(metrics.roc_auc_score(binarizer.fit_transform(v[j][:, None]), clf.predict_proba(x)))
        test.append(metrics.roc_auc_score(binarizer.fit_transform(v_test[j][:, None]), clf.predict_proba(x_test)))
    return float(np.mean(train)), float(np.mean(test))


def irs(z, v, quantile=0.99):
    labels = discretize(v.astype(np.float64)).T
    latents = z[z.var(axis=1) > 0.0].T
    max_dev = np.max(np.abs(latents - latents.mean(axis=0)), axis=0)
    cumulative = np.zeros([latents.shape[1], labels.shape[1]])
    for j in range(labels.shape[1]):
        values = np.unique(labels[:, j])
        for u in values:
            group = latents[labels[:, j] == u]
            cumulative[:, j] += np.percentile(np.abs(group - group.mean(axis=0)), q=quantile * 100, axis=0)
        cumulative[:, j] /= len(values)
    scores = (1.0 - cumulative / max_dev[:, None]).max(axis=1)
    return float(np.average(scores, weights=max_dev))


def unsupervised(z):
    cov = np.cov(z)
    tc = 0.5 * (np.sum(np.log(np.diag(cov))) - np.linalg.slogdet(cov)[1])
    wasserstein = 2 * np.trace(cov) - 2 * np.trace(scipy.linalg.sqrtm(cov * np.diag(cov)[:, None]))
    labels = discretize(z)
    m = mutual_info_matrix(labels, labels)
    np.fill_diagonal(m, 0)
    d = z.shape[0]
    return {"unsupervised.gaussian_total_correlation": float(tc),
            "unsupervised.gaussian_wasserstein_correlation": float(np.real(wasserstein)),
            "unsupervised.mutual_info_score": float(np.sum(m) / (d * d - d))}


def beta_vae(x, y, x_eval, y_eval):
    clf = linear_model.LogisticRegression().fit(x, y)
    return float(np.mean(clf.predict(x) == y)), float(np.mean(clf.predict(x_eval) == y_eval))


def factor_vae(global_var, k_train, v_train, k_eval, v_eval, num_factors, threshold=0.05):
    active = np.sqrt(global_var) >= threshold

    def votes(k, v):
        out = np.zeros([num_factors, global_var.shape[0]], dtype=np.int64)
        for point in range(k.shape[0]):
            out[k[point], np.argmin(v[point][active] / global_var[active])] += 1
        return out

    train, evaluation = votes(k_train, v_train), votes(k_eval, v_eval)
    classifier = np.argmax(train, axis=0)
    columns = np.arange(train.shape[1])
    return (float(train[classifier, columns].sum() / train.sum()),
            float(evaluation[classifier, columns].sum() / evaluation.sum()))


def main():
    warnings.filterwarnings("ignore")
    folder = sys.argv[1]
    load = lambda name: np.load(os.path.join(folder, name + ".npy"))
    z, v = load("codes_train").T, load("factors_train").T
    z_test, v_test = load("codes_test").T, load("factors_test").T
    out = {"mig.discrete_mig": mig(z, v), "sap.SAP_score": sap(z, v, z_test, v_test)}
    out.update(dci(z, v, z_test, v_test))
    out["modularity_explicitness.modularity_score"] = modularity(z, v)
    train, test = explicitness(z, v, z_test, v_test)
    out["modularity_explicitness.explicitness_score_train"] = train
    out["modularity_explicitness.explicitness_score_test"] = test
    out["irs.IRS"] = irs(z, v)
    out.update(unsupervised(z))
    train, evaluation = beta_vae(load("beta_train_x"), load("beta_train_y"), load("beta_eval_x"), load("beta_eval_y"))
    out["beta_vae.train_accuracy"], out["beta_vae.eval_accuracy"] = train, evaluation
    train, evaluation = factor_vae(load("fvae_global"), load("fvae_train_k"), load("fvae_train_v"),
                                   load("fvae_eval_k"), load("fvae_eval_v"), v.shape[0])
    out["factor_vae.train_accuracy"], out["factor_vae.eval_accuracy"] = train, evaluation
    print(json.dumps(out))


if __name__ == "__main__":
    main()
