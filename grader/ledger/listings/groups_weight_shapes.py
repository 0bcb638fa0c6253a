# THE NOTES' LISTING, copied verbatim from the course notes (shared notes, listings/groups_weight_shapes.py);
# nothing is stripped or fixed. A subject under test: the spec ledger (grader/ledger) runs it
# and reports what holds and what does not. Everything below this header is the notes' text.
# The notes' listing (section 6 (2)), line breaks restored; kept verbatim as a subject under test.
import torch
import torch.nn as nn

"""当 groups=1 时"""
conv = nn.Conv2d(in_channels=6, out_channels=12, kernel_size=1, groups=1)
conv.weight.data.size()  # torch.Size([12, 6, 1, 1])
print(conv.weight.data.size())
"""当 groups=2 时"""
conv = nn.Conv2d(in_channels=6, out_channels=12, kernel_size=1, groups=2)
conv.weight.data.size()  # torch.Size([12, 3, 1, 1])
print(conv.weight.data.size())
"""当 groups=3 时"""
conv = nn.Conv2d(in_channels=6, out_channels=12, kernel_size=1, groups=3)
conv.weight.data.size()  # torch.Size([12, 2, 1, 1])
print(conv.weight.data.size())
