# THE NOTES' LISTING, copied verbatim from the course notes (shared notes, listings/ex01_cross_correlation.py);
# nothing is stripped or fixed. A subject under test: the spec ledger (grader/ledger) runs it
# and reports what holds and what does not. Everything below this header is the notes' text.
# The notes' listing (section 2), line breaks restored; kept verbatim as a subject under test.
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

"""定义输入及卷积核"""
X = torch.tensor([[1.0, 1.0, 1.0, 0.0, 0.0], [0.0, 1.0, 1.0, 1.0, 0.0],[0.0, 0.0, 1.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0, 0.0]])
K = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0]])
print(cust_conv2d(X, K))
