"""The estimators' ``__init__`` signatures, built from the one in the base class."""

import inspect


def check_init_keywords(cls, kwargs):
    """Refuse keywords ``cls.__init__`` does not take, naming ``cls`` itself.

    The subclasses forward their keywords to ``BaseScratchMLP.__init__``, whose
    own error would name the base class.
    """
    unknown = set(kwargs) - set(cls._get_param_names())
    if unknown:
        raise TypeError(
            f"{cls.__name__}.__init__() got an unexpected keyword argument "
            f"{sorted(unknown)[0]!r}"
        )


def base_signature_with(base, *, leading=(), trailing=()):
    """Return ``base.__init__``'s signature with parameters added.

    The subclasses' ``__init__`` take their own parameters and forward the rest
    as ``**kwargs``; scikit-learn reads parameters from the signature, so it is
    set to the full list.

    Parameters
    ----------
    base : type
        The base class whose ``__init__`` lists the shared parameters.
    leading : sequence of inspect.Parameter, default=()
        Inserted first, right after ``self``.
    trailing : sequence of inspect.Parameter, default=()
        Appended last.
    """
    signature = inspect.signature(base.__init__)
    self_parameter, *parameters = signature.parameters.values()
    return signature.replace(
        parameters=[self_parameter, *leading, *parameters, *trailing]
    )
