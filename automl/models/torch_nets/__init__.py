"""Building blocks of the tabular networks the `mlp` family searches: numeric and categorical
embeddings, backbones (plain, residual, BatchEnsemble), and the weight-sharing supernet.

The modules here import torch at the top; this package's own import does not, so the family
registry can import it on a machine without torch. `automl.models._mlp` imports the modules
when a network is built.
"""
