# THE NOTES' LISTING, copied verbatim from the course notes (shared notes, listings/learn_kernel_example.py);
# nothing is stripped or fixed. A subject under test: the spec ledger (grader/ledger) runs it
# and reports what holds and what does not. Everything below this header is the notes' text.
# The notes' listing (section 2.1), line breaks restored; kept verbatim as a subject under test.
import torch
from torch import nn

"""定义输入和输出"""
X = torch.tensor([[10., 10., 10., 0.0, 0.0, 0.0], [10., 10., 10., 0.0, 0.0, 0.0], [10., 10., 10., 0.0, 0.0, 0.0],
                  [10., 10., 10., 0.0, 0.0, 0.0], [10., 10., 10., 0.0, 0.0, 0.0], [10., 10., 10., 0.0, 0.0, 0.0]])
Y = torch.tensor([[0.0, 30., 30., 0.0], [0.0, 30., 30., 0.0], [0.0, 30., 30., 0.0], [0.0, 30., 30., 0.0]])

"""训练卷积层"""
conv2d = nn.Conv2d(1, 1, kernel_size=(3, 3), bias=False)
# 这个二维卷积层使用四维输入和输出格式(批量大小、通道、高度、宽度)
X = X.reshape((1, 1, 6, 6))
Y = Y.reshape((1, 1, 4, 4))
lr = 0.001
# 定义损失函数
loss_fn = nn.MSELoss()
for i in range(400):
    Y_pre = conv2d(X)
    loss = loss_fn(Y_pre, Y)
    conv2d.zero_grad()
    loss.backward()
    # 迭代卷积核
    conv2d.weight.data[:] -= lr * conv2d.weight.grad
    if (i+1) % 100 == 0:
        print(f'epoch {i+1}, loss: {loss.item():.4f}')

"""查看卷积核"""
print(conv2d.weight.data.reshape((3, 3)))
