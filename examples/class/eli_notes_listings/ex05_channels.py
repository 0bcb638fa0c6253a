# THE NOTES' LISTING, copied verbatim from the course notes (shared notes, listings/ex05_channels.py);
# nothing is stripped or fixed. A subject under test: the spec ledger (grader/ledger) runs it
# and reports what holds and what does not. Everything below this header is the notes' text.
# The notes' listings (section 4 (1) and (3)), line breaks restored; kept verbatim as subjects under test.
import torch

"""定义卷积运算函数"""
def cust_conv2d(X, K):
    # 获取卷积核形状
    h, w = K.shape
    # 初始化输出值 Y
    Y = torch.zeros((X.shape[0]-h+1, X.shape[1]-w+1))
    # 实现卷积运算
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i+h, j:j+w]*K).sum()
    return Y

"""定义多输入通道卷积运算函数"""
def conv2d_multi_in(X, K):
    h, w = K.shape[1], K.shape[2]
    value = torch.zeros(X.shape[0]-h+1, X.shape[1]-w+1)
    for x, k in zip(X, K):
        value = value + cust_conv2d(x, k)
    return value

"""定义卷积函数"""
def conv2d_multi_in_out(X, K):
    return torch.stack([conv2d_multi_in(X, k) for k in K])

"""定义输入数据"""
X = torch.tensor([[[1., 0., 1., 0., 2.], [1, 1, 3, 2, 1], [1, 1, 0, 1, 1], [2, 3, 2, 1, 3], [0, 2, 0, 1, 0]],
                  [[1., 0., 0., 1., 0.], [2, 0, 1, 2, 0], [3, 1, 1, 3, 0], [0, 3, 0, 3, 2], [1, 0, 3, 2, 1]],
                  [[2., 0., 1., 2., 1.], [3, 3, 1, 3, 2], [2, 1, 1, 1, 0], [3, 1, 3, 2, 0], [1, 1, 2, 1, 1]]])
K = torch.tensor([[[0., 1., 0.], [0, 0, 2], [0, 1, 0]],
                  [[2., 1., 0.], [0, 0, 0], [0, 3, 0]],
                  [[1., 0., 0.], [1, 0, 0], [0, 0, 2]]])
print(conv2d_multi_in(X, K))

"""生成输入及卷积核数据 (1x1)"""
X = torch.tensor([[[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 1, 1], [1, 1, 1], [1, 1, 1]], [[2, 2, 2], [2, 2, 2], [2, 2, 2]]])
K = torch.tensor([[[[1]], [[2]], [[3]]], [[[4]], [[1]], [[1]]], [[[5]], [[3]], [[3]]]])
print(K.shape)  # torch.Size([3, 3, 1, 1])
print(conv2d_multi_in_out(X, K))
