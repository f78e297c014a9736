package objstore

// SetS3CopyLimits lowers the CopyObject limit and the UploadPartCopy range
// so tests exercise a multipart copy without 5 GiB objects; it returns a
// function restoring the defaults.
func SetS3CopyLimits(copyObjectMax, partSize int64) (restore func()) {
	oldMax, oldPart := s3CopyObjectMax, s3CopyPartSize
	s3CopyObjectMax, s3CopyPartSize = copyObjectMax, partSize
	return func() { s3CopyObjectMax, s3CopyPartSize = oldMax, oldPart }
}
