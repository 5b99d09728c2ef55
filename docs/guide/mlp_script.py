"""Code written for scikit-learn's MLPClassifier, run unchanged on costlab's NetworkClassifier.

``run(clf)`` uses only what both estimators offer; the page "Coming from
MLPClassifier" shows it, and the test suite runs it against both.
"""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler


def run(clf):
    X, y = load_digits(return_X_y=True)
    X = MinMaxScaler().fit_transform(X)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    weights = np.where(y_train == 8, 2.0, 1.0)  # count the eights twice

    clf.fit(X_train, y_train, sample_weight=weights)
    print(f"{clf.n_iter_} epochs, last loss {clf.loss_curve_[-1]:.4f}, best {clf.best_loss_:.4f}")
    print("layers:", [c.shape for c in clf.coefs_], [b.shape for b in clf.intercepts_])
    print(f"test accuracy {clf.score(X_test, y_test):.3f}")
    log_p = clf.predict_log_proba(X_test[:3])
    print("ln p of the predicted classes:", log_p.max(axis=1).round(3), clf.predict(X_test[:3]))

    clf.set_params(warm_start=True).fit(X_train, y_train)  # more epochs, from where it stopped
    print(f"warm start: {len(clf.loss_curve_)} losses, test accuracy {clf.score(X_test, y_test):.3f}")
    return {"loss_curve": list(clf.loss_curve_), "accuracy": clf.score(X_test, y_test),
            "shapes": [c.shape for c in clf.coefs_], "log_proba": clf.predict_log_proba(X_test)}


if __name__ == "__main__":
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    from costlab.sklearn import NetworkClassifier

    warnings.simplefilter("ignore", ConvergenceWarning)  # MLPClassifier warns when max_iter ends its training
    run(MLPClassifier((30,), activation="logistic", solver="sgd", learning_rate_init=0.5, momentum=0.0,
                      alpha=0.0, batch_size=10, max_iter=30, tol=1e-4, n_iter_no_change=10, random_state=0))
    run(NetworkClassifier((30,), activation="logistic", cost="log-likelihood", eta=0.5, batch_size=10,
                          epochs=30, tol=1e-4, n_iter_no_change=10, random_state=0))
